"""Owners join the club: by application (the API) or at handover (交付), once per customer.

The member number is derived from the customer id and the member is created at
revision 1 by a unique insert, so an application and a handover racing, two
instances, or a redelivered handover all end with one member and one
``member.joined``. A handover for an existing member adds the unit to their
properties (which may raise their tier).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from kefu_contracts import MEMBER_JOINED, Contact, MemberJoined, PropertyHandedOver, derived_event_id
from kefu_kit import get_logger
from kefu_kit.aggregates import Change

from . import earning
from .context import Cause, Club
from .domain.members import add_property, member_id_for
from .standing import reading, retier

log = get_logger(__name__)


async def join(
    club: Club, *, customer_id: str, contact: Contact, properties: list[dict[str, Any]],
    source: Literal["application", "handover"], cause: Cause, now: datetime,
) -> tuple[dict[str, Any], bool]:
    """The member of ``customer_id``, created if new: (member, created)."""
    member_id = member_id_for(customer_id)
    if await club.members.get(member_id) is None:
        base = club.tiers.base
        state: dict[str, Any] = {
            "_id": member_id, "customer_id": customer_id, "contact": contact.model_dump(exclude_none=True),
            "properties": [], "source": source, "joined_at": now, "tier": base.id, "vip": base.vip,
            "points": 0, "points_seen": 0, "tier_history": [], "rev": 0,
        }
        for prop in properties:
            add_property(state["properties"], prop)
        tier_events = retier(state, club.tiers, await reading(club, member_id), cause, now)
        joined = MemberJoined(
            event_id=derived_event_id(MEMBER_JOINED, member_id), occurred_at=now,
            correlation_id=cause.correlation_id, causation_id=cause.event_id, customer_id=customer_id,
            member_id=member_id, tier=state["tier"], source=source, joined_at=now, contact=contact,
            club_url=club.links.issue(member_id, now)[1] if club.links else None,
        )
        member, created = await club.members.create(state, [joined, *tier_events])
        if created:
            log.info("member joined", member_id=member_id, source=source, tier=state["tier"])
            if await earning.apply_parked(club, member_id, now):
                member = await club.members.get(member_id) or member
            return member, True
    member = await add_properties(club, member_id, properties, cause, now)
    # a redelivered join may follow one that died before applying the answers parked for the member
    if await earning.apply_parked(club, member_id, now):
        member = await club.members.get(member_id) or member
    return member, False


async def add_properties(
    club: Club, member_id: str, properties: list[dict[str, Any]], cause: Cause, now: datetime
) -> dict[str, Any]:
    """Add units a member owns (each once); the tier follows."""
    current = await reading(club, member_id)

    def change(member: dict[str, Any]) -> Change | None:
        added = [prop for prop in properties if add_property(member["properties"], prop)]
        if not added:
            return None
        return Change(member, retier(member, club.tiers, current, cause, now))

    return await club.members.mutate(member_id, change)


async def handed_over(club: Club, event: PropertyHandedOver, now: datetime) -> None:
    """A unit was handed over: its owner is a member (joining now if new) owning that unit."""
    prop = {"project": event.project, "building": event.building, "unit": event.unit,
            "handover_date": event.handover_date.isoformat()}
    await join(club, customer_id=event.customer_id, contact=event.contact, properties=[prop], source="handover",
               cause=Cause(event.event_id, event.correlation_id), now=now)
