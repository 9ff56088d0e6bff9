"""A case, or its recent report, as the domain's ``ComplaintRef`` (who, where, what, when)."""

from __future__ import annotations

from typing import Any

from .domain.case import Case
from .domain.complaints import ComplaintRef


def case_ref(case: Case) -> ComplaintRef:
    return ComplaintRef(case.id, case.customer_id, case.project, case.building, case.category, case.opened_at,
                        kind=case.kind, element=case.element, flags=tuple(case.urgent_flags))


def report_ref(doc: dict[str, Any]) -> ComplaintRef:
    """A stored recent report; those stored before elements and flags were kept read as in-unit (none)."""
    return ComplaintRef(doc["_id"], doc["customer_id"], doc.get("project"), doc.get("building"), doc.get("category"),
                        doc["opened_at"], kind=doc.get("kind", "complaint"), element=doc.get("element"),
                        flags=tuple(doc.get("urgent_flags") or ()))
