"""The quality report (质检报告) over HTTP: JSON, CSV, a self-contained HTML page, and its charts.

Routes (the customer service center's roles only, as the monthly report's: ``api.center_only``):

* ``GET /api/report/quality?from=YYYY-MM-DD&to=YYYY-MM-DD&project=P&format=json|csv|html``;
* ``GET /api/report/quality/chart/{name}.svg`` or ``.png`` with the same parameters, ``name`` one of
  ``quality_charts.CHARTS`` (rates, cost).

Dates that are not YYYY-MM-DD, ``to`` before ``from``, or more than a year: a 422 saying so.

The store is read by period indexes only, every read bounded by the range: cases opened from 90
days before ``from`` (the repeat window) to ``to`` (``kind``, ``opened_at``), cases with a work order
completed in the range (``work_orders.completed_at``), answers answered in it (``answered_at``),
and the cases of the range's repair return visits not already read, by ``_id``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime, timezone
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response
from kefu_kit.auth import Principal
from pymongo.asynchronous.collection import AsyncCollection
from starlette.concurrency import run_in_threadpool

from . import quality_charts
from .api import _SKIP, answered_between, center_only
from .dates import DateRange, DateRangeError
from .quality import REPEAT_WINDOW, RETURN_VISIT, QualityReport, build_quality
from .quality_csv import quality_csv
from .quality_html import quality_html

Docs = Iterable[Mapping[str, Any]]
# (start, end) -> (cases, answers) the quality report of [start, end) needs (a superset is fine).
QualitySource = Callable[[datetime, datetime], Awaitable[tuple[Docs, Docs]]]


def completed_between(start: datetime, end: datetime) -> dict[str, Any]:
    """Cases with a work order completed in the window (an array range met by two elements: a superset)."""
    return {"work_orders.completed_at": {"$gte": start, "$lt": end}}


def repairs_opened_between(start: datetime, end: datetime) -> dict[str, Any]:
    """Repairs only: 90 days of every kind of case would be several times more to read."""
    return {"kind": "repair", "opened_at": {"$gte": start, "$lt": end}}


def cases_by_ids(ids: list[str]) -> dict[str, Any]:
    return {"_id": {"$in": ids}}


def quality_source(cases: AsyncCollection[dict[str, Any]],
                   answers: AsyncCollection[dict[str, Any]]) -> QualitySource:
    async def read(start: datetime, end: datetime) -> tuple[Docs, Docs]:
        found: dict[str, dict[str, Any]] = {}
        for query in (repairs_opened_between(start - REPEAT_WINDOW, end), completed_between(start, end)):
            for doc in await cases.find(query, projection=_SKIP).to_list():
                found.setdefault(doc["_id"], doc)
        got = await answers.find(answered_between(start, end)).to_list()
        missing = sorted({a["case_id"] for a in got if a.get("kind") == RETURN_VISIT and a.get("case_id")} - set(found))
        if missing:
            for doc in await cases.find(cases_by_ids(missing), projection=_SKIP).to_list():
                found.setdefault(doc["_id"], doc)
        return list(found.values()), got

    return read


def make_quality_router(
    source: QualitySource,
    principal_dependency: Callable[..., Principal],
    clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
) -> APIRouter:
    center = center_only(principal_dependency, "the quality report")
    router = APIRouter(prefix="/api/report/quality", tags=["report"], dependencies=[Depends(center)])

    async def load(first: str, last: str, project: str | None) -> QualityReport:
        try:
            period = DateRange.parse(first, last)
        except DateRangeError as exc:
            raise HTTPException(422, str(exc)) from exc
        cases, answers = await source(period.start, period.end)
        return build_quality(cases, answers, period, project=project or None, now=clock())

    From = Query(alias="from", description="first day, YYYY-MM-DD (Asia/Shanghai)", examples=["2026-11-01"])
    To = Query(alias="to", description="last day, YYYY-MM-DD (Asia/Shanghai), included", examples=["2026-11-30"])

    @router.get("", responses={200: {"content": {"application/json": {}, "text/csv": {}, "text/html": {}}}})
    async def report(
        first: str = From,
        last: str = To,
        project: str | None = Query(None, description="only this project's repairs"),
        format: Literal["json", "csv", "html"] = Query("json", description="json, csv (UTF-8 with BOM) or html"),
    ) -> Response:
        """The quality report on the property company and warranty repairs (质检报告) of [from, to]."""
        data = await load(first, last, project)
        if format == "csv":
            name = f"kefu-quality-{data.first}-{data.last}.csv"
            return Response(quality_csv(data).encode("utf-8"), media_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": f'attachment; filename="{name}"'})
        if format == "html":
            page = await run_in_threadpool(lambda: quality_html(data, quality_charts.inline_svgs(data)))
            return HTMLResponse(page)
        return JSONResponse(data.to_dict())

    @router.get("/chart/{chart_file}", responses={200: {"content": {"image/svg+xml": {}, "image/png": {}}}})
    async def chart(
        chart_file: str,
        first: str = From,
        last: str = To,
        project: str | None = Query(None, description="only this project's repairs"),
    ) -> Response:
        """One chart of the quality report as ``{name}.svg`` or ``{name}.png``: rates, cost."""
        name, _, ext = chart_file.rpartition(".")
        if name not in quality_charts.CHARTS or ext not in ("svg", "png"):
            raise HTTPException(404, f"no chart {chart_file!r}: use one of "
                                     + ", ".join(f"{n}.svg|.png" for n in quality_charts.CHARTS))
        data = await load(first, last, project)
        if ext == "svg":
            return Response(await run_in_threadpool(quality_charts.chart_svg, data, name), media_type="image/svg+xml")
        return Response(await run_in_threadpool(quality_charts.chart_png, data, name), media_type="image/png")

    return router
