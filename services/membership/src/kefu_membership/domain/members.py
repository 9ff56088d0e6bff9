"""Member numbers and properties.

A member number is derived from the customer id, not counted: two instances
joining the same owner at once (the API and a handover event, say) compute the
same number, and the unique insert of that member decides who created it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from .tiers import Standing, full_years

# Fixed forever: changing it would renumber every member.
_MEMBER_NAMESPACE = uuid.UUID("6d1c2a4e-8f0b-5c7d-9e1a-3b4c5d6e7f80")


def member_id_for(customer_id: str) -> str:
    """The member number of a customer: ``M`` and 12 hex digits, the same on every instance and run."""
    return "M" + uuid.uuid5(_MEMBER_NAMESPACE, customer_id).hex[:12].upper()


def property_key(project: str, building: str | None, unit: str | None) -> str:
    """One unit, however it was reported (so a handover after an application adds nothing twice)."""
    return "|".join((project.strip(), (building or "").strip(), (unit or "").strip()))


def add_property(properties: list[dict[str, Any]], prop: dict[str, Any]) -> bool:
    """Add ``prop`` (project, building, unit, ...) unless that unit is there; True when added."""
    key = property_key(prop["project"], prop.get("building"), prop.get("unit"))
    if any(property_key(p["project"], p.get("building"), p.get("unit")) == key for p in properties):
        return False
    properties.append(prop)
    return True


def standing_of(member: dict[str, Any], points: int, now: datetime) -> Standing:
    return Standing(points=points, properties=len(member["properties"]), years=full_years(member["joined_at"], now))
