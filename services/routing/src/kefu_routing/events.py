"""The events routing publishes, built from a case's stored state.

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

from .domain.complaints import approver_for


def summary(case: dict[str, Any]) -> str:
    where = " ".join(p for p in (case.get("project"), case.get("building"), case.get("unit")) if p)
    text = (case.get("subject") or case["body"]).replace("\n", " ")
    return f"[{case['kind']}] {where} {text[:80]}".strip()


def _chain(case: dict[str, Any], cause: str) -> dict[str, Any]:
    return {"correlation_id": case["correlation_id"], "causation_id": cause}


def case_assigned(case: dict[str, Any], at: datetime) -> CaseAssigned:
    warranty = case.get("warranty") or {}
    return CaseAssigned(
        event_id=derived_event_id("case.assigned", case["opened_event_id"]),
        occurred_at=at,
        **_chain(case, case["opened_event_id"]),
        case_id=case["_id"],
        department=case["department"],
        assignee=case.get("assignee"),
        kind=case["kind"],
        category=case.get("category"),
        project=case.get("project"),
        building=case.get("building"),
        summary=summary(case),
        respond_by=case["deadlines"]["respond_by"],
        resolve_by=case["deadlines"]["resolve_by"],
        sla_reason=case["deadlines"].get("reason") or None,
        rule=case["assignment_rule"],
        under_warranty=warranty.get("under_warranty"),
        warranty_reason=warranty.get("reason"),
        level=case.get("level") or None,
    )


def status_changed(
    case: dict[str, Any], previous: str | None, actor: str, at: datetime, cause: str, note: str | None = None
) -> CaseStatusChanged:
    return CaseStatusChanged(
        event_id=derived_event_id("case.status_changed", case["_id"], case["status"], cause),
        occurred_at=at,
        **_chain(case, cause),
        case_id=case["_id"],
        customer_id=case["customer_id"],
        status=case["status"],
        previous_status=previous,
        actor=actor,
        note=note,
        kind=case["kind"],
        category=case.get("category"),
        department=case["department"],
        assignee=case.get("assignee"),
        project=case.get("project"),
        building=case.get("building"),
        unit=case.get("unit"),
        level=case.get("level") or None,
        respond_by=case["deadlines"]["respond_by"],
        resolve_by=case["deadlines"]["resolve_by"],
        sla_reason=case["deadlines"].get("reason") or None,
        resolution=case.get("resolution") if case["status"] in ("resolved", "closed") else None,
    )


def complaint_escalated(
    case: dict[str, Any], previous_level: int, reason: str, at: datetime, cause: str,
    related: list[str] | None = None,
) -> ComplaintEscalated:
    return ComplaintEscalated(
        event_id=derived_event_id("complaint.escalated", case["_id"], str(case["level"]), reason, cause),
        occurred_at=at,
        **_chain(case, cause),
        case_id=case["_id"],
        level=case["level"],
        previous_level=previous_level,
        reason=reason,
        approver_role=approver_for(case["level"]),
        project=case.get("project") or "(unknown)",
        building=case.get("building"),
        department=case["department"],
        summary=summary(case),
        respond_by=case["deadlines"]["respond_by"],
        resolve_by=case["deadlines"]["resolve_by"],
        sla_reason=case["deadlines"].get("reason") or None,
        related_case_ids=related or [],
    )


def repair_completed(case: dict[str, Any], at: datetime, cause: str) -> RepairCompleted:
    order = case["work_order"]
    amount = Decimal(order.get("cost") or "0")
    return RepairCompleted(
        event_id=derived_event_id("repair.completed", case["_id"], order["id"]),
        occurred_at=at,
        **_chain(case, cause),
        case_id=case["_id"],
        work_order_id=order["id"],
        project=case.get("project") or "",
        building=case.get("building") or "",
        unit=case.get("unit") or "",
        department=case["department"],
        under_warranty=bool((case.get("warranty") or {}).get("under_warranty")),
        cost=Money(amount=f"{amount:.2f}"),
        completed_at=order["completed_at"],
        notes=order.get("notes"),
    )


def group_changed(group: dict[str, Any], case: dict[str, Any], at: datetime) -> ComplaintGroupChanged:
    """The group's members after ``case`` made or joined it (one event per membership: members only grow)."""
    return ComplaintGroupChanged(
        event_id=derived_event_id("complaint.group_changed", group["_id"], str(len(group["members"]))),
        occurred_at=at,
        **_chain(case, case["opened_event_id"]),
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


def defect_batch_suspected(signal: dict[str, Any], lead: dict[str, Any], at: datetime) -> DefectBatchSuspected:
    """The one event of a batch-defect signal, chained to its first report (the same on every redelivery)."""
    return DefectBatchSuspected(
        event_id=derived_event_id("defect.batch_suspected", signal["_id"]),
        occurred_at=at,
        **_chain(lead, lead["opened_event_id"]),
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
