"""The events routing publishes, built from a case (``domain.case.Case``) and its groups and signals.

Ids are derived from the case and the revision (or cause) that produced them,
so an event republished by the outbox relay is the same event.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from kefu_contracts import (
    CaseAssigned,
    CaseStatusChanged,
    ComplaintEscalated,
    ComplaintGroupChanged,
    DefectBatchSuspected,
    Money,
    RepairCompleted,
    derived_event_id,
)

from .domain.case import Case
from .domain.complaints import approver_for


def summary(case: Case) -> str:
    where = " ".join(p for p in (case.project, case.building, case.unit) if p)
    text = (case.subject or case.body).replace("\n", " ")
    return f"[{case.kind}] {where} {text[:80]}".strip()


def _chain(case: Case, cause: str) -> dict[str, Any]:
    return {"correlation_id": case.correlation_id, "causation_id": cause}


def case_assigned(case: Case, at: datetime) -> CaseAssigned:
    warranty = case.warranty
    return CaseAssigned(
        event_id=derived_event_id("case.assigned", case.opened_event_id),
        occurred_at=at,
        **_chain(case, case.opened_event_id),
        case_id=case.id,
        department=case.department,
        assignee=case.assignee,
        kind=case.kind,
        category=case.category,
        project=case.project,
        building=case.building,
        summary=summary(case),
        respond_by=case.deadlines.respond_by,
        resolve_by=case.deadlines.resolve_by,
        sla_reason=case.deadlines.reason or None,
        rule=case.assignment_rule,
        under_warranty=warranty.under_warranty if warranty else None,
        warranty_reason=warranty.reason if warranty else None,
        level=case.level or None,
    )


def status_changed(
    case: Case, previous: str | None, actor: str, at: datetime, cause: str, note: str | None = None
) -> CaseStatusChanged:
    return CaseStatusChanged(
        event_id=derived_event_id("case.status_changed", case.id, case.status, cause),
        occurred_at=at,
        **_chain(case, cause),
        case_id=case.id,
        customer_id=case.customer_id,
        status=case.status,
        previous_status=previous,
        actor=actor,
        note=note,
        kind=case.kind,
        category=case.category,
        department=case.department,
        assignee=case.assignee,
        project=case.project,
        building=case.building,
        unit=case.unit,
        level=case.level or None,
        respond_by=case.deadlines.respond_by,
        resolve_by=case.deadlines.resolve_by,
        sla_reason=case.deadlines.reason or None,
        resolution=case.resolution if case.status in ("resolved", "closed") else None,
    )


def complaint_escalated(
    case: Case, previous_level: int, reason: str, at: datetime, cause: str,
    related: list[str] | None = None,
) -> ComplaintEscalated:
    return ComplaintEscalated(
        event_id=derived_event_id("complaint.escalated", case.id, str(case.level), reason, cause),
        occurred_at=at,
        **_chain(case, cause),
        case_id=case.id,
        level=case.level,
        previous_level=previous_level,
        reason=reason,
        approver_role=approver_for(case.level),
        project=case.project or "(unknown)",
        building=case.building,
        department=case.department,
        summary=summary(case),
        respond_by=case.deadlines.respond_by,
        resolve_by=case.deadlines.resolve_by,
        sla_reason=case.deadlines.reason or None,
        related_case_ids=related or [],
    )


def repair_completed(case: Case, at: datetime, cause: str) -> RepairCompleted:
    order = case.work_order
    assert order is not None, "only a repair's work order completes"
    amount = Decimal(order.cost or "0")
    return RepairCompleted(
        event_id=derived_event_id("repair.completed", case.id, order.id),
        occurred_at=at,
        **_chain(case, cause),
        case_id=case.id,
        work_order_id=order.id,
        project=case.project or "",
        building=case.building or "",
        unit=case.unit or "",
        department=case.department,
        under_warranty=bool(case.warranty and case.warranty.under_warranty),
        cost=Money(amount=f"{amount:.2f}"),
        completed_at=order.completed_at,
        notes=order.notes,
    )


def group_changed(group: dict[str, Any], case: Case, at: datetime) -> ComplaintGroupChanged:
    """The group's members after ``case`` made or joined it (one event per membership: members only grow)."""
    return ComplaintGroupChanged(
        event_id=derived_event_id("complaint.group_changed", group["_id"], str(len(group["members"]))),
        occurred_at=at,
        **_chain(case, case.opened_event_id),
        group_id=group["_id"],
        lead_case_id=group["lead_case_id"],
        project=group["project"],
        building=group.get("building"),
        category=group.get("category"),
        level=group["level"],
        member_case_ids=list(group["members"]),
        owners=len(group["customers"]),
        last_member_at=group["last_member_at"],
    )


def defect_batch_suspected(signal: dict[str, Any], lead: Case, at: datetime) -> DefectBatchSuspected:
    """The one event of a batch-defect signal, chained to its first report (the same on every redelivery)."""
    return DefectBatchSuspected(
        event_id=derived_event_id("defect.batch_suspected", signal["_id"]),
        occurred_at=at,
        **_chain(lead, lead.opened_event_id),
        signal_id=signal["_id"],
        project=signal["project"],
        building=signal["building"],
        category=signal["category"],
        case_ids=list(signal["case_ids"]),
        owners=len(signal["customers"]),
        first_reported_at=signal["first_reported_at"],
        last_reported_at=signal["last_reported_at"],
        window_days=signal["window_days"],
    )
