"""The dashboard's HTTP API (OpenAPI at /docs): what the page reads, with routing's tokens and roles.

Every request carries ``Authorization: Bearer <token>`` (the live stream too: the
page reads it with ``fetch``, since ``EventSource`` cannot send headers).
Department staff see their own department's cases only, in every answer and on
the stream; the center's roles see all and may filter. Who may call what is in
the role lists below (domain.md: the managers, the complaint specialist, the
after-sales supervisor, the data analyst and the departments watch cases;
operations watch consumer lag). Case summaries are the owner's words: roles
without ``Principal.sees_pii`` (the analyst) get them masked.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response
from fastapi.encoders import jsonable_encoder
from kefu_kit.auth import Principal, Role, require
from kefu_kit.http_errors import ERROR_RESPONSES, error_response
from kefu_kit.lag import LagMonitor
from kefu_kit.masking import mask_text
from kefu_kit.pages import DEFAULT_LIMIT, MAX_LIMIT, NEXT_CURSOR, PAGE_RESPONSES, BadCursor, encode_cursor
from sse_starlette import EventSourceResponse, ServerSentEvent

from . import views
from .api_models import DashboardCase, Lag, Me, Summary
from .feed import FeedHub
from .projection import OPEN_STATUSES, overdue
from .store import HIDDEN, LIST_KEY, CaseStore, case_filter

# An ``overdue`` filter is judged on the clock, not stored: a page reads at most this many cases to fill
# itself, and says where it stopped (the cursor) when that was not enough.
OVERDUE_READ = 2 * MAX_LIMIT
# How long a stream may take to end by itself once the server is stopping, before it is cut.
STOP_GRACE_S = 5.0


# Who reads the boards: the center's roles that follow cases, and department staff (their own department).
# Hotline agents and customer relations work from routing's case API and their own services; service
# accounts read no cases.
READERS = (Role.COMPLAINT_SPECIALIST, Role.DEPARTMENT_STAFF, Role.AFTERSALES_SUPERVISOR, Role.DATA_ANALYST,
           Role.CS_MANAGER, Role.CS_GENERAL_MANAGER)
# The monthly complaint report (投诉月报): the center's readers (the report refuses department staff itself).
REPORT_READERS = tuple(r for r in READERS if r != Role.DEPARTMENT_STAFF)
# Consumer lag: every reader's page shows it, and operations watch it.
LAG_READERS = (*READERS, Role.OPS)

Who = Annotated[Principal, Depends(require(*READERS))]
Project = Annotated[str | None, Query(min_length=1, max_length=200, description="only this project's cases")]
Department = Annotated[str | None, Query(min_length=1, max_length=64,
                                        description="only this department's cases (staff: their own only)")]
# A status the read model gives a case, or "open" for every open one.
STATUS_FILTER = ("open", *sorted(OPEN_STATUSES), "resolved", "closed")
SCOPE_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: error_response(403, "the token's role may not read the boards, or staff asked for another department"),
    422: ERROR_RESPONSES[422]}
# Bodies are the documents as they are: no field is added as null (see api_models).
AS_STORED = {"response_model_exclude_unset": True}


def scope(who: Principal, project: str | None, department: str | None) -> views.Scope:
    try:
        return views.Scope.of(who, project, department)
    except views.NotAllowed as exc:
        raise HTTPException(403, str(exc)) from exc


def build_router(store: CaseStore, hub: FeedHub, lag: LagMonitor, recent: int, keepalive_s: float) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["dashboard"])

    def now() -> datetime:
        return datetime.now(timezone.utc)

    @router.get("/me", response_model=Me)
    async def me(who: Who) -> dict[str, Any]:
        """Who the token belongs to (the page shows it and offers the department filter to the center only)."""
        return {"name": who.name, "role": who.role, "department": who.department, "sees_all": who.sees_all}

    @router.get("/summary", response_model=Summary, **AS_STORED, responses=SCOPE_RESPONSES)
    async def summary(who: Who, project: Project = None, department: Department = None) -> dict[str, Any]:
        """Open cases by department and level, overdue cases, group complaints (群诉), counts."""
        return shown(views.summary(await store.board(scope(who, project, department).query()), now()), who)

    @router.get("/cases", response_model=list[DashboardCase], **AS_STORED,
                responses={**PAGE_RESPONSES, **SCOPE_RESPONSES,
                           422: error_response(422, "invalid input, or a cursor this list did not hand out")})
    async def cases(
        who: Who,
        response: Response,
        project: Project = None,
        department: Department = None,
        status: Annotated[Literal[STATUS_FILTER] | None,  # type: ignore[valid-type]
                          Query(description="a status, or 'open' for every open one")] = None,
        level: Annotated[int | None, Query(ge=0, le=3)] = None,
        late: Annotated[bool | None, Query(alias="overdue", description="only cases past a deadline")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, Query(max_length=512,
                                            description=f"the {NEXT_CURSOR} header of the previous page")] = None,
    ) -> list[dict[str, Any]]:
        """Cases, newest first, filtered and paged in the store (``overdue`` on the clock, within the page)."""
        if late and status is None:
            status = "open"  # only an open case can be overdue
        query = case_filter(scope(who, project, department).query(), status=status, level=level)
        try:
            if late is None:
                found, next_cursor = await store.page(query, cursor, limit)
            else:
                found, next_cursor = await _late_page(query, late, cursor, limit)
        except BadCursor as exc:
            raise HTTPException(422, str(exc)) from exc
        if next_cursor:
            response.headers[NEXT_CURSOR] = next_cursor
        return [shown({k: v for k, v in c.items() if k != LIST_KEY}, who) for c in found]

    async def _late_page(query: dict[str, Any], late: bool, cursor: str | None,
                         limit: int) -> tuple[list[dict[str, Any]], str | None]:
        at, out, read = now(), [], 0
        while len(out) < limit and read < OVERDUE_READ:
            batch, cursor = await store.page(query, cursor, limit)
            read += len(batch)
            for case in batch:
                if bool(overdue(case, at)) == late:
                    out.append(case)
                    if len(out) == limit:
                        more = case is not batch[-1] or cursor is not None
                        return out, encode_cursor(case[LIST_KEY], case["_id"]) if more else None
            if cursor is None:
                break
        return out, cursor

    @router.get("/cases/{case_id}", response_model=DashboardCase, **AS_STORED,
                responses={404: error_response(404, "no such case (or another department's)")})
    async def case(case_id: Annotated[str, Path(min_length=1, max_length=128)], who: Who) -> dict[str, Any]:
        """One case as the dashboard knows it (another department's is a 404, as if it did not exist)."""
        found = await store.get(case_id)
        if found is None or not who.can_see(found):
            raise HTTPException(404, f"no case {case_id}")
        return shown({k: v for k, v in found.items() if k not in HIDDEN}, who)

    @router.get("/lag", response_model=Lag, dependencies=[Depends(require(*LAG_READERS))])
    async def lag_status() -> dict[str, Any]:
        """Each service's consumer lag and status (OK, WARN, STALL, STOP, REWIND) from the latest sample.

        ``at`` is None until the first sample (the service samples every ``KEFU_LAG_INTERVAL_S``).
        """
        report = lag.report
        if report is None:
            return {"at": None, "groups": []}
        return {"at": datetime.fromtimestamp(report.at, timezone.utc), "groups": [
            {"group": g.group, "status": g.status.name, "total_lag": g.total_lag,
             "max_lag_seconds": round(g.max_lag_seconds, 1), "partitions": len(g.partitions)}
            for g in report.groups]}

    @router.get("/stream", response_class=EventSourceResponse,
                responses={200: {"content": {"text/event-stream": {}}}, **SCOPE_RESPONSES})
    async def stream(who: Who, project: Project = None, department: Department = None) -> EventSourceResponse:
        """Server-sent events: ``case`` events for new (assigned) and escalated cases the caller may see.

        The last few entries come first, then live ones; each has an ``id`` (the
        event id) so a client can drop repeats. sse-starlette sends the keepalive
        comments, notices a client that went away, and tells the stream when the
        server is stopping, so it ends cleanly and the page reconnects elsewhere.
        """
        allowed = scope(who, project, department)
        masked = not who.sees_pii
        stopping = anyio.Event()
        return EventSourceResponse(_events(allowed, masked, stopping), ping=keepalive_s, sep="\n",
                                   ping_message_factory=lambda: ServerSentEvent(comment="keepalive", sep="\n"),
                                   shutdown_event=stopping, shutdown_grace_period=STOP_GRACE_S,
                                   headers={"Cache-Control": "no-cache"})

    async def _events(allowed: views.Scope, masked: bool, stopping: anyio.Event) -> AsyncIterator[ServerSentEvent]:
        with hub.subscribe() as queue:
            yield ServerSentEvent(retry=2000, sep="\n")
            for entry in await store.recent_feed(recent):
                if allowed.admits(entry["case"]):
                    yield _sse(_masked_summaries(entry) if masked else entry)
            while (entry := await _next(queue, stopping)) is not None:
                if allowed.admits(entry["case"]):
                    yield _sse(_masked_summaries(entry) if masked else entry)

    return router


def shown(body: Any, who: Principal) -> Any:
    """``body`` as ``who`` may see it: case summaries (the owner's words) masked for roles without PII."""
    return body if who.sees_pii else _masked_summaries(body)


def _masked_summaries(value: Any) -> Any:
    """``value`` with every ``summary`` text masked, wherever it sits (a case, the overdue list, a group)."""
    if isinstance(value, dict):
        return {k: mask_text(v) if k == "summary" and isinstance(v, str) else _masked_summaries(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_masked_summaries(v) for v in value]
    return value


async def _next(queue: asyncio.Queue[dict[str, Any]], stopping: anyio.Event) -> dict[str, Any] | None:
    """The next feed entry, or None once the server is stopping."""
    getter = asyncio.ensure_future(queue.get())
    stop = asyncio.ensure_future(stopping.wait())
    try:
        done, _ = await asyncio.wait({getter, stop}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        getter.cancel()
        stop.cancel()
    return getter.result() if getter in done and not getter.cancelled() else None


def _sse(entry: dict[str, Any]) -> ServerSentEvent:
    body = {k: v for k, v in entry.items() if k != "_id"}
    data = json.dumps(jsonable_encoder({"id": entry["_id"], **body}), ensure_ascii=False)
    return ServerSentEvent(data, id=entry["_id"], event="case", sep="\n")
