"""Routing's HTTP API for department dashboards and the customer service center (OpenAPI at /docs).

Every request carries ``Authorization: Bearer <token>``; department staff see
and change only their own department's cases (another department's case is a
404, as if it did not exist), the center's roles see all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from kefu_contracts import ContactKind
from kefu_kit.aggregates import ConcurrentChange, NotFound
from pydantic import BaseModel, Field

from . import commands
from kefu_kit.auth import Principal, principal
from .adapters.case_pages import decode_cursor, encode_cursor
from .context import Routing
from .domain.lifecycle import STATUSES
from .opening import schedule_deadlines


NEXT_CURSOR = "X-Next-Cursor"
MAX_LIMIT = 500
MAX_SKIP = 10_000


class Note(BaseModel):
    note: str | None = Field(None, max_length=2000)


class NoteText(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


class ApprovalRequest(BaseModel):
    kind: Literal["plan", "cost"]
    plan: str | None = Field(None, max_length=8000)
    amount: str | None = Field(None, description="CNY, decimal string", examples=["1200.00"])


class Decision(BaseModel):
    reason: str | None = Field(None, max_length=2000)


class WorkOrderReport(BaseModel):
    note: str | None = Field(None, max_length=4000)
    cost: str | None = Field(None, description="CNY, decimal string (complete only)", examples=["0", "850.00"])


class Escalation(BaseModel):
    level: int = Field(ge=1, le=3)
    note: str | None = Field(None, max_length=2000)


Who = Annotated[Principal, Depends(principal)]


def build_router(r: Routing) -> APIRouter:
    """The routes; the app's ``state.tokens`` (a ``TokenBook``) authenticates callers."""
    router = APIRouter(tags=["cases"])

    async def visible(case_id: str, who: Principal) -> dict[str, Any]:
        case = await r.cases.get(case_id)
        if case is None or not who.can_see(case):
            raise HTTPException(404, f"no case {case_id}")
        return case

    async def apply(case_id: str, who: Principal, make: Callable[[], Callable]) -> dict[str, Any]:
        await visible(case_id, who)
        try:
            case = await r.cases.mutate(case_id, make())
        except commands.Forbidden as exc:
            raise HTTPException(403, str(exc)) from exc
        except commands.Conflict as exc:
            raise HTTPException(409, str(exc)) from exc
        except NotFound as exc:
            raise HTTPException(404, f"no case {case_id}") from exc
        except ConcurrentChange as exc:
            raise HTTPException(503, str(exc), headers={"Retry-After": "1"}) from exc
        await schedule_deadlines(case, r)
        return _public(case)

    def now() -> datetime:
        return datetime.now(timezone.utc)

    @router.get("/cases", responses={200: {"headers": {NEXT_CURSOR: {
        "description": "present when more cases follow: pass it back as ?cursor= for the next page",
        "schema": {"type": "string"}}}}})
    async def list_cases(
        who: Who,
        response: Response,
        department: Annotated[str | None, Query(max_length=64)] = None,
        status: Literal[STATUSES] | None = None,  # type: ignore[valid-type]
        level: int | None = Query(None, ge=0, le=3),
        kind: ContactKind | None = None,
        project: Annotated[str | None, Query(max_length=200)] = None,
        building: Annotated[str | None, Query(max_length=200)] = None,
        overdue: bool | None = None,
        awaiting_approval: bool | None = Query(None, description="true: cases with a handling plan or cost "
                                               "approval pending (the approvers' inbox); false: all decided"),
        limit: int = Query(50, ge=1, le=MAX_LIMIT),
        skip: int = Query(0, ge=0, le=MAX_SKIP, description="prefer cursor; skip costs what it skips"),
        cursor: Annotated[str | None, Query(max_length=512, description="X-Next-Cursor of the page before")] = None,
    ) -> list[dict[str, Any]]:
        """Cases, newest first, a page at a time. Department staff always get their own department's only.

        Filtered and paged in the store (every filter is an indexed equality); the next
        page's cursor comes in the ``X-Next-Cursor`` header, absent on the last page.
        """
        if not who.sees_all:
            if department and department != who.department:
                raise HTTPException(403, "department staff see their own department's cases only")
            department = who.department
        if department is not None and department not in r.rules.departments:
            raise _bad_query("department", f"unknown department {department!r}")
        try:
            after = decode_cursor(cursor) if cursor else None
        except ValueError as exc:
            raise _bad_query("cursor", str(exc)) from exc
        filters: dict[str, Any] = {k: v for k, v in {
            "department": department, "status": status, "level": level, "kind": kind and kind.value,
            "project": project, "building": building, "is_overdue": overdue,
            "awaiting_approval": awaiting_approval}.items() if v is not None}
        cases, following = await r.cases.page(filters, limit=limit, skip=skip, after=after, now=now())
        if following is not None:
            response.headers[NEXT_CURSOR] = encode_cursor(following)
        return [_public(c, timeline=False) for c in cases]

    @router.get("/cases/{case_id}")
    async def get_case(case_id: str, who: Who) -> dict[str, Any]:
        """One case with its timeline (the audit trail of every transition and decision)."""
        return _public(await visible(case_id, who))

    @router.get("/cases/{case_id}/group")
    async def case_group(case_id: str, who: Who) -> dict[str, Any]:
        """The group complaint (群诉) a case belongs to."""
        case = await visible(case_id, who)
        if not case.get("group_id"):
            raise HTTPException(404, "this case is not part of a group complaint")
        return await _group(case["group_id"])

    @router.get("/groups/{group_id}")
    async def get_group(group_id: str, who: Who) -> dict[str, Any]:
        if not who.sees_all:
            raise HTTPException(403, "group complaints are for the customer service center")
        return await _group(group_id)

    async def _group(group_id: str) -> dict[str, Any]:
        group = await r.groups.get(group_id)
        if group is None:
            raise HTTPException(404, f"no group {group_id}")
        return group

    for command in ("acknowledge", "wait_on_owner", "resume", "resolve", "close", "reopen"):
        def make_route(name: str) -> None:
            @router.post(f"/cases/{{case_id}}/{name.replace('_', '-')}", name=name)
            async def route(case_id: str, who: Who, body: Note | None = None) -> dict[str, Any]:
                note = body.note if body else None
                return await apply(case_id, who, lambda: commands.lifecycle(name, who, now(), r, note))
        make_route(command)

    @router.post("/cases/{case_id}/notes")
    async def add_note(case_id: str, body: NoteText, who: Who) -> dict[str, Any]:
        return await apply(case_id, who, lambda: commands.add_note(body.text, who, now()))

    @router.post("/cases/{case_id}/work-order/{action}")
    async def work_order(case_id: str, action: Literal["start", "progress", "complete"], who: Who,
                         body: WorkOrderReport | None = None) -> dict[str, Any]:
        """The assigned department reports start, progress and completion (with cost and notes)."""
        body = body or WorkOrderReport()
        return await apply(case_id, who, lambda: commands.work_order(action, who, now(), body.note, body.cost))

    @router.post("/cases/{case_id}/approvals")
    async def request_approval(case_id: str, body: ApprovalRequest, who: Who) -> dict[str, Any]:
        """Ask for approval of a handling plan or a repair/compensation cost."""
        return await apply(case_id, who,
                           lambda: commands.request_approval(body.kind, who, now(), body.plan, body.amount))

    @router.post("/cases/{case_id}/approvals/{approval_id}/{decision}")
    async def decide(case_id: str, approval_id: str, decision: Literal["approve", "reject"], who: Who,
                     body: Decision | None = None) -> dict[str, Any]:
        reason = body.reason if body else None
        return await apply(case_id, who,
                           lambda: commands.decide(approval_id, decision == "approve", who, now(), reason))

    @router.post("/cases/{case_id}/escalate")
    async def escalate(case_id: str, body: Escalation, who: Who) -> dict[str, Any]:
        """Raise a complaint's level by hand (the center's roles only)."""
        return await apply(case_id, who, lambda: commands.manual_escalation(body.level, who, now(), r, body.note))

    return router


def _bad_query(name: str, message: str) -> HTTPException:
    """A 422 shaped like FastAPI's own validation errors, for checks the parameter types cannot make."""
    return HTTPException(422, [{"type": "value_error", "loc": ["query", name], "msg": message}])


def _public(case: dict[str, Any], timeline: bool = True) -> dict[str, Any]:
    """What the API shows of a case: as before lists were paged (``is_overdue`` only serves the index)."""
    hidden = {"applied", "is_overdue"} | (set() if timeline else {"timeline"})
    return {k: v for k, v in case.items() if k not in hidden}


