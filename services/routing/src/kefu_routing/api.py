"""Routing's HTTP API for department dashboards and the customer service center (OpenAPI at /docs).

Every request carries ``Authorization: Bearer <token>``; each route names the
roles that may call it (``access``); department staff see and change only
their own department's cases (another department's case is a 404, as if it
did not exist), the center's roles see all. Free text reaches roles that do
not see PII masked.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query, Response
from kefu_contracts import ContactKind
from kefu_kit.aggregates import ConcurrentChange, NotFound
from kefu_kit.auth import Allowed, Principal, principal, require
from kefu_kit.http_errors import ERROR_RESPONSES, error_response
from pydantic import BaseModel, Field

from . import access, commands
from .adapters.case_pages import decode_cursor, encode_cursor
from .context import Routing
from .domain.lifecycle import STATUSES
from .opening import schedule_deadlines
from .schemas import Case, CaseSummary, Group


NEXT_CURSOR = "X-Next-Cursor"
MAX_LIMIT = 500
MAX_SKIP = 10_000


class Note(BaseModel):
    note: str | None = Field(None, max_length=2000)


class NoteText(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


# CNY as a decimal string: whole yuan and at most 2 decimals (the domain keeps money as Decimal).
AMOUNT = r"^[0-9]{1,12}(\.[0-9]{1,2})?$"


class PlanApproval(BaseModel):
    """A complaint's handling plan, for the role its level names (CS manager: level 1, general manager: 2, 3)."""

    kind: Literal["plan"]
    plan: str = Field(min_length=1, max_length=8000)


class CostApproval(BaseModel):
    """A repair or compensation cost, for the role whose authority covers the amount."""

    kind: Literal["cost"]
    amount: str = Field(pattern=AMOUNT, description="CNY, decimal string", examples=["1200.00"])


ApprovalRequest = Annotated[PlanApproval | CostApproval, Body(discriminator="kind")]


class Decision(BaseModel):
    reason: str | None = Field(None, max_length=2000)


class WorkOrderReport(BaseModel):
    note: str | None = Field(None, max_length=4000)
    cost: str | None = Field(None, pattern=AMOUNT, description="CNY, decimal string (complete only)",
                             examples=["0", "850.00"])


class Escalation(BaseModel):
    level: int = Field(ge=1, le=3)
    note: str | None = Field(None, max_length=2000)


# Ids are what the event contracts allow (kefu_contracts.cases.Id): longer ones cannot exist.
CaseId = Annotated[str, Path(min_length=1, max_length=128)]
GroupId = Annotated[str, Path(min_length=1, max_length=128)]
ApprovalId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^ap-[0-9]+$", examples=["ap-1"])]

# The authenticated caller, for routes whose role check is in their ``dependencies``.
Caller = Annotated[Principal, Depends(principal)]

CASE_404 = {404: error_response(404, "no such case (or another department's)")}
CHANGE_RESPONSES = {
    **CASE_404,
    403: error_response(403, "the token's role may not do this, or not to this case (authority, department)"),
    409: error_response(409, "not possible in the case's current state"),
    422: ERROR_RESPONSES[422],
    503: error_response(503, "a concurrent change to the same case won; retry (Retry-After)"),
}
PAGE_HEADERS = {NEXT_CURSOR: {
    "description": "present when more cases follow: pass it back as ?cursor= for the next page",
    "schema": {"type": "string"}}}
# Case bodies are the stored documents as they are: no field is added as null (see schemas).
AS_STORED = {"response_model_exclude_unset": True}


def build_router(r: Routing) -> APIRouter:
    """The routes; the app's ``state.tokens`` (a ``TokenBook``) authenticates callers."""
    router = APIRouter(tags=["cases"])

    async def visible(case_id: str, who: Principal) -> dict[str, Any]:
        """The stored document, if ``who`` may see it (reads answer with it as it is: no model needed)."""
        case = await r.cases.get(case_id)
        if case is None or not who.can_see(case):
            raise HTTPException(404, f"no case {case_id}")
        return case

    async def apply(case_id: str, who: Principal, make: Callable[[], commands.CaseCommand]) -> dict[str, Any]:
        await visible(case_id, who)
        try:
            case = await r.cases.mutate_case(case_id, make())
        except commands.Forbidden as exc:
            raise HTTPException(403, str(exc)) from exc
        except commands.Conflict as exc:
            raise HTTPException(409, str(exc)) from exc
        except NotFound as exc:
            raise HTTPException(404, f"no case {case_id}") from exc
        except ConcurrentChange as exc:
            raise HTTPException(503, str(exc), headers={"Retry-After": "1"}) from exc
        await schedule_deadlines(case, r)
        return access.shown(_public(case.to_doc()), who)

    def now() -> datetime:
        return datetime.now(timezone.utc)

    @router.get("/cases", response_model=list[CaseSummary], **AS_STORED, responses={
        200: {"headers": PAGE_HEADERS},
        403: error_response(403, "the token's role may not read cases, or staff asked for another department"),
        422: ERROR_RESPONSES[422]})
    async def list_cases(
        who: Allowed(*access.READ),
        response: Response,
        department: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
        status: Annotated[Literal[STATUSES] | None, Query()] = None,  # type: ignore[valid-type]
        level: Annotated[int | None, Query(ge=0, le=3)] = None,
        kind: ContactKind | None = None,
        project: Annotated[str | None, Query(max_length=200)] = None,
        building: Annotated[str | None, Query(max_length=200)] = None,
        overdue: bool | None = None,
        awaiting_approval: Annotated[bool | None, Query(
            description="true: cases with a plan or cost approval pending (the approvers' inbox); false: all decided",
        )] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
        skip: Annotated[int, Query(ge=0, le=MAX_SKIP, description="prefer cursor; skip costs what it skips")] = 0,
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
        return [access.shown(_public(c, timeline=False), who) for c in cases]

    @router.get("/cases/{case_id}", response_model=Case, **AS_STORED, responses=CASE_404)
    async def get_case(case_id: CaseId, who: Allowed(*access.READ)) -> dict[str, Any]:
        """One case with its timeline (the audit trail of every transition and decision)."""
        return access.shown(_public(await visible(case_id, who)), who)

    @router.get("/cases/{case_id}/group", response_model=Group, **AS_STORED, responses={
        404: error_response(404, "no such case (or another department's), or it is not part of a group complaint")})
    async def case_group(case_id: CaseId, who: Allowed(*access.READ)) -> dict[str, Any]:
        """The group complaint (群诉) a case belongs to."""
        case = await visible(case_id, who)
        if not case.get("group_id"):
            raise HTTPException(404, "this case is not part of a group complaint")
        return await _group(case["group_id"])

    @router.get("/groups/{group_id}", response_model=Group, **AS_STORED,
                responses={404: error_response(404, "no such group complaint")})
    async def get_group(group_id: GroupId, who: Allowed(*access.READ_GROUPS)) -> dict[str, Any]:
        """A group complaint (群诉) with its member cases; it spans departments, so it is the center's."""
        return await _group(group_id)

    async def _group(group_id: str) -> dict[str, Any]:
        group = await r.groups.get(group_id)
        if group is None:
            raise HTTPException(404, f"no group {group_id}")
        return group

    lifecycle_roles = {"acknowledge": access.WORK, "wait_on_owner": access.WORK, "resume": access.WORK,
                       "resolve": access.WORK, "close": access.CLOSE, "reopen": access.CLOSE}
    for command, roles in lifecycle_roles.items():
        def make_route(name: str, allowed: tuple[str, ...]) -> None:
            # The role check rides in ``dependencies`` (annotations are strings here, read in the module's
            # globals, where ``allowed`` is unknown); ``who`` is then the principal it already authenticated.
            @router.post(f"/cases/{{case_id}}/{name.replace('_', '-')}", name=name, response_model=Case,
                         **AS_STORED, responses=CHANGE_RESPONSES, dependencies=[Depends(require(*allowed))])
            async def route(case_id: CaseId, who: Caller, body: Note | None = None) -> dict[str, Any]:
                note = body.note if body else None
                return await apply(case_id, who, lambda: commands.lifecycle(name, who, now(), r, note))
            route.__doc__ = f"{name.replace('_', ' ').capitalize()} the case (the lifecycle in domain/lifecycle.py)."
        make_route(command, roles)

    @router.post("/cases/{case_id}/notes", response_model=Case, **AS_STORED, responses=CHANGE_RESPONSES)
    async def add_note(case_id: CaseId, body: NoteText, who: Allowed(*access.NOTE)) -> dict[str, Any]:
        """A note on the case's timeline (what an owner said on a call, what a department found)."""
        return await apply(case_id, who, lambda: commands.add_note(body.text, who, now()))

    @router.post("/cases/{case_id}/work-order/{action}", response_model=Case, **AS_STORED,
                 responses=CHANGE_RESPONSES)
    async def work_order(case_id: CaseId, action: Literal["start", "progress", "complete"],
                         who: Allowed(*access.WORK), body: WorkOrderReport | None = None) -> dict[str, Any]:
        """The assigned department reports start, progress and completion (with cost and notes)."""
        body = body or WorkOrderReport()
        return await apply(case_id, who, lambda: commands.work_order(action, who, now(), body.note, body.cost))

    @router.post("/cases/{case_id}/approvals", response_model=Case, **AS_STORED, responses=CHANGE_RESPONSES)
    async def request_approval(case_id: CaseId, body: ApprovalRequest,
                               who: Allowed(*access.REQUEST_APPROVAL)) -> dict[str, Any]:
        """Ask for approval of a handling plan or a repair/compensation cost."""
        return await apply(case_id, who,
                           lambda: commands.request_approval(body.kind, who, now(), getattr(body, "plan", None),
                                                             getattr(body, "amount", None)))

    @router.post("/cases/{case_id}/approvals/{approval_id}/{decision}", response_model=Case, **AS_STORED,
                 responses=CHANGE_RESPONSES)
    async def decide(case_id: CaseId, approval_id: ApprovalId, decision: Literal["approve", "reject"],
                     who: Allowed(*access.DECIDE), body: Decision | None = None) -> dict[str, Any]:
        """Approve or reject, within the caller's authority (a cost by amount, a plan by complaint level)."""
        reason = body.reason if body else None
        return await apply(case_id, who,
                           lambda: commands.decide(approval_id, decision == "approve", who, now(), reason))

    @router.post("/cases/{case_id}/escalate", response_model=Case, **AS_STORED, responses=CHANGE_RESPONSES)
    async def escalate(case_id: CaseId, body: Escalation, who: Allowed(*access.ESCALATE)) -> dict[str, Any]:
        """Raise a complaint's level by hand (the complaint specialist and the managers)."""
        return await apply(case_id, who, lambda: commands.manual_escalation(body.level, who, now(), r, body.note))

    return router


def _bad_query(name: str, message: str) -> HTTPException:
    """A 422 shaped like FastAPI's own validation errors, for checks the parameter types cannot make."""
    return HTTPException(422, [{"type": "value_error", "loc": ["query", name], "msg": message}])


def _public(case: dict[str, Any], timeline: bool = True) -> dict[str, Any]:
    """What the API shows of a case: as before lists were paged (``is_overdue`` only serves the index)."""
    hidden = {"applied", "is_overdue"} | (set() if timeline else {"timeline"})
    return {k: v for k, v in case.items() if k not in hidden}


