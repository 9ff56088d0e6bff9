"""A unit handed over with its owner: the owner enters the customer archive and the club hears of it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kefu_contracts import Caller, Contact, PropertyHandedOver, derived_event_id

from .adapters.store import CustomerArchive
from .domain.identity import identify


async def hand_over(entry: Any, archive: CustomerArchive, at: datetime) -> PropertyHandedOver:
    """Find or create the owner; the event id is derived from the unit and the owner, so a repeated PUT repeats it."""
    owner = entry.owner
    identity = identify(Caller(name=owner.name, phone=owner.phone, email=owner.email, customer_id=owner.customer_id))
    prop = {k: v for k, v in {"project": entry.project, "building": entry.building, "unit": entry.unit}.items() if v}
    customer_id = await archive.find_or_create(identity, name=owner.name, prop=prop, seen_at=at)
    unit = "|".join((entry.project, entry.building or "", entry.unit or ""))
    event_id = derived_event_id("property.handed_over", unit, customer_id)
    return PropertyHandedOver(
        event_id=event_id, occurred_at=at, correlation_id=event_id, causation_id=event_id,
        customer_id=customer_id, project=entry.project, building=entry.building, unit=entry.unit,
        handover_date=entry.handover_date,
        contact=Contact(name=owner.name, phone=identity.phone if identity.phone and not identity.phone.startswith(
            "unverified:") else None, email=identity.email),
    )
