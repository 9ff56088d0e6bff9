"""The use case: a case was opened; decide its department, store it, and say so."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from kefu_contracts import CaseAssigned, CaseOpened, derived_event_id

from .adapters.store import CaseStore
from .domain.assignment import RuleTable, default_rules


async def open_case(event: CaseOpened, store: CaseStore, rules: RuleTable | None = None) -> CaseAssigned:
    """Store the case with its department (once) and return the ``case.assigned`` it leads to."""
    table = rules or default_rules()
    text = "\n".join(p for p in (event.subject, event.body) if p)
    department, rule = table.assign(event.kind.value, event.category, event.project, text)
    now = datetime.now(timezone.utc)
    # Insert first: on a redelivery the insert fails on the unique _id and the stored case
    # (with the first delivery's decisions) is returned instead.
    case = await store.open(
        {
            "_id": event.case_id,
            "status": "assigned",
            "kind": event.kind.value,
            "category": event.category,
            "urgent_flags": event.urgent_flags,
            "customer_id": event.customer_id,
            "channel": event.channel.value,
            "project": event.project,
            "building": event.building,
            "unit": event.unit,
            "subject": event.subject,
            "body": event.body,
            "department": department,
            "assignment_rule": rule,
            "opened_at": event.occurred_at,
            "correlation_id": event.correlation_id,
            "opened_event_id": event.event_id,
            "timeline": [
                {"at": now, "status": "opened", "event_id": event.event_id},
                {"at": now, "status": "assigned", "department": department, "rule": rule},
            ],
        }
    )
    return _case_assigned(case)


def _summary(case: dict[str, Any]) -> str:
    where = " ".join(p for p in (case.get("project"), case.get("building"), case.get("unit")) if p)
    text = (case.get("subject") or case["body"]).replace("\n", " ")
    return f"[{case['kind']}] {where} {text[:80]}".strip()


def _case_assigned(case: dict[str, Any]) -> CaseAssigned:
    return CaseAssigned(
        event_id=derived_event_id("case.assigned", case["opened_event_id"]),
        occurred_at=case["timeline"][1]["at"],
        correlation_id=case["correlation_id"],
        causation_id=case["opened_event_id"],
        case_id=case["_id"],
        department=case["department"],
        kind=case["kind"],
        category=case.get("category"),
        project=case.get("project"),
        building=case.get("building"),
        summary=_summary(case),
        rule=case["assignment_rule"],
    )
