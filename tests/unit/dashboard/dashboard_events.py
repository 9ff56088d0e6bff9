"""Contract events of one case's life, for the dashboard's projection tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from kefu_contracts import (
    CASE_ASSIGNED,
    CASE_OPENED,
    CASE_STATUS_CHANGED,
    COMPLAINT_ESCALATED,
    COMPLAINT_GROUP_CHANGED,
    REPAIR_COMPLETED,
    SURVEY_ANSWERED,
    CaseAssigned,
    CaseOpened,
    CaseStatusChanged,
    ComplaintEscalated,
    ComplaintGroupChanged,
    Event,
    Money,
    RepairCompleted,
    SurveyAnswered,
)

T0 = datetime(2026, 11, 2, 1, 30, 0, 123456, tzinfo=timezone.utc)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _chain(event_id: str) -> dict[str, Any]:
    return {"event_id": event_id, "correlation_id": "call-1", "causation_id": "cause-" + event_id}


def opened(case_id: str = "case-1", minute: float = 0, **kw: Any) -> tuple[str, Event]:
    data = {**_chain(f"{case_id}-opened"), "occurred_at": at(minute), "case_id": case_id, "contact_id": "call-1",
            "customer_id": "cust-1", "channel": "hotline", "kind": "complaint", "classified_by": "rules",
            "category": "leak", "urgent_flags": ["media"], "project": "滨江花园", "building": "3幢", "unit": "0301",
            "body": "漏水"}
    return CASE_OPENED, CaseOpened(**{**data, **kw})


def assigned(case_id: str = "case-1", minute: float = 1, **kw: Any) -> tuple[str, Event]:
    data = {**_chain(f"{case_id}-assigned"), "occurred_at": at(minute), "case_id": case_id,
            "department": "engineering", "assignee": "eng-li", "kind": "complaint", "category": "leak",
            "project": "滨江花园", "building": "3幢", "summary": "[complaint] 滨江花园 3幢 漏水",
            "respond_by": at(120), "resolve_by": at(2880), "rule": "complaint", "level": 1}
    return CASE_ASSIGNED, CaseAssigned(**{**data, **kw})


def status(case_id: str, new: str, previous: str | None, minute: float, **kw: Any) -> tuple[str, Event]:
    data = {**_chain(f"{case_id}-{new}-{minute}"), "occurred_at": at(minute), "case_id": case_id,
            "customer_id": "cust-1", "status": new, "previous_status": previous, "actor": "eng-li",
            "kind": "complaint", "category": "leak", "department": "engineering", "assignee": "eng-li",
            "project": "滨江花园", "building": "3幢", "unit": "0301", "level": 1,
            "respond_by": at(120), "resolve_by": at(2880)}
    return CASE_STATUS_CHANGED, CaseStatusChanged(**{**data, **kw})


def escalated(case_id: str = "case-1", level: int = 2, previous: int = 1, minute: float = 30,
              reason: str = "sla_breach", **kw: Any) -> tuple[str, Event]:
    data = {**_chain(f"{case_id}-escalated-{level}"), "occurred_at": at(minute), "case_id": case_id,
            "level": level, "previous_level": previous, "reason": reason,
            "approver_role": "cs_manager" if level == 1 else "cs_general_manager", "project": "滨江花园",
            "building": "3幢", "department": "engineering", "summary": "[complaint] 滨江花园 3幢 漏水",
            "respond_by": at(minute + 60), "resolve_by": at(minute + 1440)}
    return COMPLAINT_ESCALATED, ComplaintEscalated(**{**data, **kw})


def answered(case_id: str | None = "case-1", survey_id: str = "sv-1", minute: float = 3000,
             **kw: Any) -> tuple[str, Event]:
    data = {**_chain(f"answered-{survey_id}"), "occurred_at": at(minute), "survey_id": survey_id,
            "kind": "complaint_return_visit", "customer_id": "cust-1", "case_id": case_id,
            "questionnaire_id": "complaint-v1", "csat": 2, "solved": False, "answered_at": at(minute)}
    return SURVEY_ANSWERED, SurveyAnswered(**{**data, **kw})


def life(case_id: str = "case-1") -> list[tuple[str, Event]]:
    """A complaint's whole life: opened, assigned, worked, resolved, a dissatisfied visit, reopened, escalated, closed."""
    return [
        opened(case_id),
        assigned(case_id),
        status(case_id, "assigned", None, 1),
        status(case_id, "in_progress", "assigned", 10),
        status(case_id, "resolved", "in_progress", 60),
        answered(case_id, minute=100),
        status(case_id, "reopened", "resolved", 101, level=2),
        escalated(case_id, 2, 1, 101, "dissatisfied_return_visit"),
        status(case_id, "resolved", "reopened", 200, level=2, respond_by=at(161), resolve_by=at(1541)),
        status(case_id, "closed", "resolved", 300, level=2, respond_by=at(161), resolve_by=at(1541)),
    ]


def group_changed(members: list[str], group_id: str = "group-9", lead: str = "case-1", minute: float = 40,
                  level: int = 3) -> tuple[str, Event]:
    data = {**_chain(f"{group_id}-members-{len(members)}"), "occurred_at": at(minute), "group_id": group_id,
            "lead_case_id": lead, "project": "滨江花园", "building": "3幢", "category": "leak", "level": level,
            "member_case_ids": members, "owners": len(members), "last_member_at": at(minute)}
    return COMPLAINT_GROUP_CHANGED, ComplaintGroupChanged(**data)


def completed(case_id: str = "case-1", work_order: str = "wo-1", minute: float = 500, cost: str = "120.50",
              under_warranty: bool = True, **kw: Any) -> tuple[str, Event]:
    data = {**_chain(f"{case_id}-{work_order}-completed"), "occurred_at": at(minute), "case_id": case_id,
            "work_order_id": work_order, "project": "滨江花园", "building": "3幢", "unit": "0301",
            "department": "engineering", "under_warranty": under_warranty, "cost": Money(amount=cost),
            "completed_at": at(minute)}
    return REPAIR_COMPLETED, RepairCompleted(**{**data, **kw})
