"""What people do to cases through the API: lifecycle steps, notes, work orders, approvals, escalation.

Each command is a change to one case (a ``Case``, changed in place: the case store
gives each change its own copy), checked against the lifecycle and the caller's
authority, recorded on the timeline with who and when; status changes publish
``case.status_changed``, completed work orders ``repair.completed``, in the same
revision as the change (the case store's outbox). Pure: no store, no broker.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from kefu_contracts import derived_event_id
from kefu_kit.aggregates import Change

from kefu_kit.auth import CENTER_ROLES, Principal
from .context import Routing
from .domain.case import (
    Approval,
    ApprovalDecided,
    ApprovalRequested,
    Case,
    Deadlines,
    Escalated,
    NoteEntry,
    Pause,
    StatusEntry,
    WorkOrderEntry,
    WorkOrderProgress,
)
from .domain.approvals import can_approve, limit_of, required_role
from .domain.complaints import approver_for, manual_level
from .domain.lifecycle import InvalidTransition, next_status
from .escalation import raise_level
from .events import repair_completed, status_changed

ROLE_RANK = {"department_staff": 0, "complaint_specialist": 1, "cs_manager": 2, "cs_general_manager": 3}
CENTER_ONLY = frozenset({"close", "reopen"})


class Forbidden(Exception):
    """The caller may not do this (HTTP 403)."""


class Conflict(Exception):
    """Not possible in the case's current state (HTTP 409)."""


CaseCommand = Callable[[Case], Change[Case]]


def _cause(case: Case, command: str) -> str:
    return derived_event_id("cmd", case.id, str(case.rev + 1), command)


def lifecycle(name: str, who: Principal, now: datetime, r: Routing, note: str | None = None) -> CaseCommand:
    """acknowledge, wait_on_owner, resume, resolve, close, reopen."""
    if name in CENTER_ONLY and who.role not in CENTER_ROLES:
        raise Forbidden(f"only the customer service center may {name} a case")

    def change(case: Case) -> Change[Case]:
        previous = case.status
        try:
            case.status = next_status(name, previous)
        except InvalidTransition as exc:
            raise Conflict(str(exc)) from exc
        if name == "acknowledge" and case.responded_at is None:
            case.responded_at = now
        if name == "wait_on_owner":
            case.pauses.append(Pause(start=now, end=None))
        if name == "resume":
            case.pauses[-1].end = now
            _recount_deadlines(case, r, now)
        if name == "resolve":
            case.resolved_at = now
            case.resolution = note  # what was done: the case library (knowledge) learns it from the event
        if name == "close":
            case.closed_at = now
        if name == "reopen":
            case.resolved_at = case.closed_at = None
            case.resolution = None
        case.timeline.append(StatusEntry(at=now, type="status", status=case.status, actor=who.name, role=who.role,
                                         note=note))
        return Change(case, [status_changed(case, previous, who.name, now, _cause(case, name), note)])

    return change


def _recount_deadlines(case: Case, r: Routing, now: datetime) -> None:
    """Time spent waiting on the owner does not count against the deadlines."""
    start = case.escalations[-1].at if case.escalations else case.opened_at
    pauses = [(p.start, p.end) for p in case.pauses]
    due = r.deadlines(case.id, case.kind, max(case.level or 0, 1), case.urgent_flags, start, paused=pauses, now=now)
    case.deadlines = Deadlines.of(due)


def add_note(text: str, who: Principal, now: datetime) -> CaseCommand:
    def change(case: Case) -> Change[Case]:
        case.timeline.append(NoteEntry(at=now, type="note", text=text, actor=who.name, role=who.role))
        return Change(case)
    return change


def work_order(action: str, who: Principal, now: datetime, note: str | None = None,
               cost: str | None = None) -> CaseCommand:
    """start, progress, complete: the assigned department reports on its work order."""
    def change(case: Case) -> Change[Case]:
        order = case.work_order
        if order is None:
            raise Conflict("this case has no work order (only repairs do)")
        if order.status == "completed":
            raise Conflict("the work order is completed already")
        events: list[Any] = []
        if action == "start":
            order.status = "started"
            order.started_at = now
            if case.status in ("assigned", "reopened"):
                previous, case.status = case.status, "in_progress"
                case.responded_at = case.responded_at or now
                events.append(status_changed(case, previous, who.name, now, _cause(case, "start"), note))
        elif action == "progress":
            if not note:
                raise Conflict("a progress report needs a note")
            order.progress.append(WorkOrderProgress(at=now, note=note, by=who.name))
        elif action == "complete":
            amount = _amount(cost or "0")
            if case.warranty and case.warranty.under_warranty and amount > 0 and not _cost_approved(case, amount):
                raise Conflict(f"a warranty repair costing {amount} CNY needs an approved cost first "
                               f"(POST .../approvals with kind=cost; {required_role(amount)} approves it)")
            order.status, order.completed_at, order.cost, order.notes = "completed", now, f"{amount:.2f}", note
            previous = case.status
            case.status, case.resolved_at = "resolved", now
            case.resolution = note
            case.responded_at = case.responded_at or now
            cause = _cause(case, "complete")
            events += [repair_completed(case, now, cause), status_changed(case, previous, who.name, now, cause, note)]
        else:
            raise Conflict(f"unknown work-order action {action!r}")
        case.timeline.append(WorkOrderEntry(at=now, type=f"work_order_{action}", actor=who.name, note=note,
                                            **({"cost": order.cost} if action == "complete" else {})))
        return Change(case, events)
    return change


def _amount(text: str) -> Decimal:
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise Conflict(f"not an amount: {text!r}") from exc
    if amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise Conflict("an amount is a non-negative number of yuan with at most 2 decimals")
    return amount


def _cost_approved(case: Case, amount: Decimal) -> bool:
    return any(a.kind == "cost" and a.status == "approved" and Decimal(a.amount or "0") >= amount
               for a in case.approvals)


def request_approval(kind: str, who: Principal, now: datetime, plan: str | None = None,
                     amount: str | None = None) -> CaseCommand:
    """A handling plan (complaints) or a repair/compensation cost, to be approved within authority."""
    def change(case: Case) -> Change[Case]:
        asked: dict[str, Any]
        if kind == "plan":
            if not case.level:
                raise Conflict("handling plans are approved for complaint cases")
            if not plan:
                raise Conflict("a plan needs its text")
            asked = {"plan": plan, "required_role": approver_for(case.level)}
        elif kind == "cost":
            value = _amount(amount or "")
            asked = {"amount": f"{value:.2f}", "required_role": required_role(value)}
        else:
            raise Conflict("kind must be plan or cost")
        entry = Approval(id=f"ap-{len(case.approvals) + 1}", kind=kind, status="pending", **asked,
                         requested_by=who.name, requested_at=now, decided_by=None, decided_at=None, reason=None)
        case.approvals.append(entry)
        case.awaiting_approval = True
        case.timeline.append(ApprovalRequested(at=now, type="approval_requested", approval_id=entry.id, kind=kind,
                                               actor=who.name))
        return Change(case)
    return change


def decide(approval_id: str, approve: bool, who: Principal, now: datetime, reason: str | None) -> CaseCommand:
    """Approve or reject, within the caller's authority; every decision keeps who and when."""
    def change(case: Case) -> Change[Case]:
        entry = next((a for a in case.approvals if a.id == approval_id), None)
        if entry is None:
            raise Conflict(f"no approval {approval_id} on this case")
        if entry.status != "pending":
            raise Conflict(f"approval {approval_id} was {entry.status} already")
        if entry.kind == "cost":
            amount = Decimal(entry.amount or "0")
            if not can_approve(who.role, amount):
                raise Forbidden(f"{who.role} may not approve {entry.amount} CNY (limit {limit_of(who.role)} CNY); "
                                f"{entry.required_role} may")
        elif ROLE_RANK.get(who.role, -1) < ROLE_RANK[entry.required_role]:
            raise Forbidden(f"this plan is approved by {entry.required_role}")
        entry.status = "approved" if approve else "rejected"
        entry.decided_by, entry.decided_role, entry.decided_at, entry.reason = who.name, who.role, now, reason
        case.awaiting_approval = any(a.status == "pending" for a in case.approvals)
        case.timeline.append(ApprovalDecided(at=now, type="approval_decided", approval_id=approval_id,
                                             decision=entry.status, actor=who.name, role=who.role, reason=reason))
        return Change(case)
    return change


def manual_escalation(level: int, who: Principal, now: datetime, r: Routing, note: str | None) -> CaseCommand:
    if who.role not in CENTER_ROLES:
        raise Forbidden("only the customer service center escalates by hand")

    def change(case: Case) -> Change[Case]:
        try:
            target = manual_level(case.level, level) if case.level else level
        except ValueError as exc:
            raise Conflict(str(exc)) from exc
        if not 1 <= target <= 3:
            raise Conflict("levels are 1, 2 and 3")
        events = raise_level(case, target, "manual", r, now, _cause(case, "escalate"), who.name)
        if not events:
            raise Conflict(f"the case is at level {case.level} already")
        if note:
            entry = case.timeline[-1]
            assert isinstance(entry, Escalated), "raise_level ends the timeline with the escalation"
            entry.note = note
        return Change(case, events)
    return change
