"""How routing reacts to other services' events and to its own deadline timers.

Each reaction is a change to one case (a ``Case``), applied through the case store: it
records the cause's id in ``applied`` and does nothing when it finds it there,
so a redelivery, a second routing instance or a restart applies it once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kefu_contracts import CaseFollowedUp, MemberTierChanged, SurveyAnswered
from kefu_kit.aggregates import Change, NotFound

from .context import Routing
from .domain.case import Case, DeadlineMissed, FollowUp, ReturnVisit, StatusEntry
from .domain.complaints import escalate
from .escalation import raise_level
from .events import status_changed
from .opening import schedule_deadlines

DISSATISFIED_CSAT = 2
SATISFIED_CSAT = 4


async def follow_up(event: CaseFollowedUp, r: Routing, now: datetime) -> None:
    """Another contact about an open case: on its timeline; a complaint about it is a repeat complaint."""
    def change(case: Case) -> Change[Case] | None:
        if event.event_id in case.applied:
            return None
        case.applied.append(event.event_id)
        case.contacts.append(event.contact_id)
        case.timeline.append(FollowUp(at=event.occurred_at, type="follow_up", contact_id=event.contact_id,
                                      kind=event.kind.value, channel=event.channel.value, actor="intake"))
        events = []
        if event.kind.value == "complaint":
            level = case.level or 0
            target = 1 if level == 0 else escalate(level, "repeat_complaint", r.complaints)
            events = raise_level(case, target, "repeat_complaint", r, now, event.event_id, "routing")
        return Change(case, events)

    case = await r.cases.mutate_case(event.case_id, change)
    await schedule_deadlines(case, r)


async def fire_timer(timer: dict[str, Any], r: Routing, now: datetime) -> None:
    """A deadline passed: the case is overdue; a complaint escalates (sla_breach) once per missed deadline."""
    which, due_at = timer["which"], timer["due_at"]

    def change(case: Case) -> Change[Case] | None:
        if timer["_id"] in case.applied or case.deadlines.due(which) != due_at:
            return None  # fired already, or the deadline moved (escalation, pause) and a new timer exists
        if case.status in ("resolved", "closed", "waiting_on_owner"):
            return None
        if which == "respond" and case.responded_at is not None:
            return None
        case.applied.append(timer["_id"])
        case.overdue = sorted({*case.overdue, which})
        case.is_overdue = True
        case.timeline.append(DeadlineMissed(at=now, type="deadline_missed", which=which, due_at=due_at,
                                            actor="system"))
        events = []
        if case.kind == "complaint" or case.level:
            level = case.level or 1
            events = raise_level(case, escalate(level, "sla_breach", r.complaints), "sla_breach", r, now,
                                 timer["_id"], "system")
        return Change(case, events)

    try:
        case = await r.cases.mutate_case(timer["case_id"], change)
        await schedule_deadlines(case, r)
    except NotFound:
        pass
    await r.timers.done(timer["_id"])


async def survey_answered(event: SurveyAnswered, r: Routing, now: datetime) -> None:
    """A return visit's answer: dissatisfied reopens and escalates; satisfied closes a resolved case."""
    if not event.case_id:
        return
    dissatisfied = (event.csat is not None and event.csat <= DISSATISFIED_CSAT) or event.solved is False
    satisfied = not dissatisfied and event.csat is not None and event.csat >= SATISFIED_CSAT

    def change(case: Case) -> Change[Case] | None:
        if event.event_id in case.applied:
            return None
        case.applied.append(event.event_id)
        case.timeline.append(ReturnVisit(at=now, type="return_visit", survey_id=event.survey_id, csat=event.csat,
                                         solved=event.solved, actor="surveys"))
        events: list[Any] = []
        previous = case.status
        if dissatisfied:
            if previous in ("resolved", "closed"):
                case.status = "reopened"
                case.resolved_at = case.closed_at = None
                if order := case.work_order:
                    order.status, order.completed_at, order.id = "open", None, f"{order.id}-r"
                case.timeline.append(StatusEntry(at=now, type="status", status="reopened", actor="surveys"))
                events.append(status_changed(case, previous, "surveys", now, event.event_id,
                                             "return visit: owner dissatisfied"))
            level = case.level or 0
            target = 1 if level == 0 else escalate(level, "dissatisfied_return_visit", r.complaints)
            events += raise_level(case, target, "dissatisfied_return_visit", r, now, event.event_id, "surveys")
        elif satisfied and previous == "resolved":
            case.status, case.closed_at = "closed", now
            case.timeline.append(StatusEntry(at=now, type="status", status="closed", actor="surveys"))
            events.append(status_changed(case, previous, "surveys", now, event.event_id, "return visit: satisfied"))
        return Change(case, events)

    case = await r.cases.mutate_case(event.case_id, change)  # NotFound: the answer came first; the caller parks it
    await schedule_deadlines(case, r)


async def tier_changed(event: MemberTierChanged, r: Routing) -> None:
    """Routing keeps its own copy of who is a VIP owner (never reads membership's database)."""
    await r.vips.record(event.customer_id, event.vip, event.tier, event.event_id, event.occurred_at)
