"""A stored case, or its recent report, as the domain's ``ComplaintRef`` (who, where, what, when)."""

from __future__ import annotations

from typing import Any

from .domain.complaints import ComplaintRef


def case_ref(doc: dict[str, Any]) -> ComplaintRef:
    """Reports stored before elements and flags were kept read as in-unit (no element, no flags)."""
    return ComplaintRef(doc["_id"], doc["customer_id"], doc.get("project"), doc.get("building"), doc.get("category"),
                        doc["opened_at"], kind=doc.get("kind", "complaint"), element=doc.get("element"),
                        flags=tuple(doc.get("urgent_flags") or ()))
