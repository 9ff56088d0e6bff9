"""The monthly complaint report over HTTP: JSON, CSV, a self-contained HTML page, and its charts.

Mount it in the dashboard service (composition root)::

    from kefu_kit.auth import principal              # the bearer-token dependency
    from .report.api import make_router, store_sources
    report = make_router(*store_sources(store.cases, store.answers), principal)
    app = kit.app([api, report, ...])

Routes (the customer service center's roles only: ``kefu_kit.auth.CENTER_ROLES``; others get 403):

* ``GET /api/report?month=YYYY-MM&project=P&format=json|csv|html`` (format defaults to json);
* ``GET /api/report?week=YYYY-Www&...``: the weekly report (周报), the same figures for an ISO week
  with week-on-week change;
* ``GET /api/report/chart/{name}.svg`` or ``.png`` with the same ``month`` or ``week`` and ``project``,
  ``name`` one of ``charts.CHARTS`` (targets, kind, category, level, department).

A month that is not ``YYYY-MM``, a week that is not an existing ISO week ``YYYY-Www``, both or
neither: a 422 with a message saying so.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime, timezone
from typing import Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response
from kefu_kit.auth import CENTER_ROLES, Principal
from pymongo.asynchronous.collection import AsyncCollection
from starlette.concurrency import run_in_threadpool

from . import charts
from .build import MonthlyReport, build_report
from .months import Month, MonthError
from .weeks import Week, WeekError
from .render_csv import report_csv
from .render_html import report_html

# Documents that may matter for the instants [start, end) (UTC); a superset is fine, the report filters.
Source = Callable[[datetime, datetime], Awaitable[Iterable[Mapping[str, Any]]]]

# The read model's bookkeeping, never needed by the report.
_SKIP = {"facts": False, "applied": False, "facets": False, "list_at": False}


def opened_between(start: datetime, end: datetime) -> dict[str, Any]:
    return {"opened_at": {"$gte": start, "$lt": end}}


def escalated_between(start: datetime, end: datetime) -> dict[str, Any]:
    """Cases with an escalation in the window (or, an array range met by two elements, around it: a superset)."""
    return {"escalations.at": {"$gte": start, "$lt": end}}


def answered_between(start: datetime, end: datetime) -> dict[str, Any]:
    return {"answered_at": {"$gte": start, "$lt": end}}


def store_sources(cases: AsyncCollection[dict[str, Any]],
                  answers: AsyncCollection[dict[str, Any]]) -> tuple[Source, Source]:
    """Sources reading the dashboard store's ``cases`` and ``answers`` collections, by their period indexes.

    Cases: opened in the window, or escalated in it (a major complaint of the month may be an older
    case): two indexed range reads (``opened_at``, ``escalations.at``) rather than one ``$or``, which
    the store would answer by scanning every case ever.
    """
    async def case_docs(start: datetime, end: datetime) -> list[dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for query in (opened_between(start, end), escalated_between(start, end)):
            for doc in await cases.find(query, projection=_SKIP).to_list():
                found.setdefault(doc["_id"], doc)
        return list(found.values())

    async def answer_docs(start: datetime, end: datetime) -> list[dict[str, Any]]:
        return await answers.find(answered_between(start, end)).to_list()

    return case_docs, answer_docs


def center_only(principal_dependency: Callable[..., Principal], what: str) -> Callable[..., Principal]:
    """A dependency admitting the customer service center's roles only (403 for others, 401 from ``principal``)."""
    def center(who: Principal = Depends(principal_dependency)) -> Principal:
        if who.role not in CENTER_ROLES:
            raise HTTPException(403, f"{what} are for the customer service center's roles ("
                                     + ", ".join(sorted(CENTER_ROLES)) + ")")
        return who

    return center


def make_router(
    cases_source: Source,
    answers_source: Source,
    principal_dependency: Callable[..., Principal],
    clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
) -> APIRouter:
    """The report's routes.

    ``cases_source`` / ``answers_source``: ``async (start, end) -> documents`` of the read model
    (``store_sources`` makes them from the store's collections); ``principal_dependency``: the
    FastAPI dependency that authenticates the caller (401 when it cannot) and returns a
    ``Principal``; ``clock``: the report time (deadlines not yet passed are not judged).
    """

    center = center_only(principal_dependency, "the monthly and weekly complaint reports")
    router = APIRouter(prefix="/api/report", tags=["report"], dependencies=[Depends(center)])

    async def load(month: str | None, week: str | None, project: str | None) -> MonthlyReport:
        m = period_of(month, week)
        start, end = m.previous().start, m.end
        cases = await cases_source(start, end)
        answers = await answers_source(start, end)
        return build_report(cases, answers, m, project=project or None, now=clock())

    @router.get("", responses={200: {"content": {"application/json": {}, "text/csv": {}, "text/html": {}}}})
    async def report(
        month: str | None = Query(None, description="YYYY-MM, a calendar month in Asia/Shanghai",
                                  examples=["2026-11"]),
        week: str | None = Query(None, description="YYYY-Www, an ISO week in Asia/Shanghai (instead of month)",
                                 examples=["2026-W48"]),
        project: str | None = Query(None, description="only this project's cases and answers"),
        format: Literal["json", "csv", "html"] = Query("json", description="json, csv (UTF-8 with BOM) or html"),
    ) -> Response:
        """The monthly complaint report (投诉月报) of ``month``, or the weekly report (周报) of ``week``:
        counts, rates against targets, change on the previous month or ISO week."""
        data = await load(month, week, project)
        if format == "csv":
            return Response(report_csv(data).encode("utf-8"), media_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": _attachment(data, "csv")})
        if format == "html":
            page = await run_in_threadpool(lambda: report_html(data, charts.inline_svgs(data)))
            return HTMLResponse(page)
        return JSONResponse(data.to_dict())

    @router.get("/chart/{chart_file}", responses={200: {"content": {"image/svg+xml": {}, "image/png": {}}}})
    async def chart(
        chart_file: str,
        month: str | None = Query(None, description="YYYY-MM, a calendar month in Asia/Shanghai"),
        week: str | None = Query(None, description="YYYY-Www, an ISO week in Asia/Shanghai (instead of month)"),
        project: str | None = Query(None, description="only this project's cases and answers"),
    ) -> Response:
        """One chart of the report as ``{name}.svg`` or ``{name}.png``.

        Names: targets, kind, category, level, department.
        """
        name, _, ext = chart_file.rpartition(".")
        if name not in charts.CHARTS or ext not in ("svg", "png"):
            raise HTTPException(404, f"no chart {chart_file!r}: use one of "
                                     + ", ".join(f"{n}.svg|.png" for n in charts.CHARTS))
        data = await load(month, week, project)
        if ext == "svg":
            return Response(await run_in_threadpool(charts.chart_svg, data, name), media_type="image/svg+xml")
        return Response(await run_in_threadpool(charts.chart_png, data, name), media_type="image/png")

    return router


def period_of(month: str | None, week: str | None) -> Month | Week:
    """The report's period from the query: exactly one of ``month`` and ``week`` (a 422 otherwise)."""
    if (month is None) == (week is None):
        raise HTTPException(422, "give month=YYYY-MM (monthly report) or week=YYYY-Www (weekly report), not "
                                 + ("both" if month is not None else "neither"))
    try:
        return Month.parse(month) if month is not None else Week.parse(week or "")
    except (MonthError, WeekError) as exc:
        raise HTTPException(422, str(exc)) from exc


def _attachment(report: MonthlyReport, ext: str) -> str:
    """``Content-Disposition``: an ASCII name, and the project's (Chinese) name in RFC 5987 form."""
    stem = "kefu-report" if report.period == "month" else "kefu-weekly"
    plain = f"{stem}-{report.month}.{ext}"
    if not report.project:
        return f'attachment; filename="{plain}"'
    full = quote(f"{stem}-{report.month}-{report.project}.{ext}")
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{full}"
