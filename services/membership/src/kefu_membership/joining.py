"""Owners join the club: by application (the API) or at handover (交付), once per customer.

The member number is derived from the customer id and the member is created at
revision 1 by a unique insert, so an application and a handover racing, two
instances, or a redelivered handover all end with one member and one
``member.joined``. A handover for an existing member adds the unit to their
properties (which may raise their tier).
"""

from __future__ import annotations

from datetime import datetime

from kefu_contracts import MEMBER_JOINED, Contact, Event, MemberJoined, PropertyHandedOver, derived_event_id
from kefu_kit import get_logger

from . import earning
from .adapters.store import Changed
from .context import Cause, Club
from .domain.members import Member, MemberContact, Property, Source, member_id_for
from .domain.tiers import TierTable
from .standing import reading, retier

log = get_logger(__name__)


def newcomer(
    *, customer_id: str, contact: Contact, properties: list[Property], source: Source, tiers: TierTable,
    current: tuple[int, int], cause: Cause, now: datetime, club_url: str | None = None,
) -> tuple[Member, list[Event]]:
    """A new member (base tier, the units given, then the tier they already reach) and what to announce.

    ``member.joined`` first, with the tier reached, then the tier change when the units (or points
    earned before joining, ``current``) already lift them above the base tier.
    """
    member = Member.new(customer_id, MemberContact.from_doc(contact.model_dump(exclude_none=True)), source,
                        tiers.base, now)
    for prop in properties:
        member.add_property(prop)
    tier_events = retier(member, tiers, current, cause, now)
    joined = MemberJoined(
        event_id=derived_event_id(MEMBER_JOINED, member.id), occurred_at=now,
        correlation_id=cause.correlation_id, causation_id=cause.event_id, customer_id=customer_id,
        member_id=member.id, tier=member.tier, source=source, joined_at=now, contact=contact, club_url=club_url,
    )
    return member, [joined, *tier_events]


def with_units(member: Member, properties: list[Property], tiers: TierTable, current: tuple[int, int],
               cause: Cause, now: datetime) -> Changed | None:
    """``member`` owning ``properties`` too (each unit once) and on the tier that follows; None when none is new."""
    added = [prop for prop in properties if member.add_property(prop)]
    if not added:
        return None
    return Changed(member, retier(member, tiers, current, cause, now))


async def join(
    club: Club, *, customer_id: str, contact: Contact, properties: list[Property],
    source: Source, cause: Cause, now: datetime,
) -> tuple[Member, bool]:
    """The member of ``customer_id``, created if new: (member, created)."""
    member_id = member_id_for(customer_id)
    if await club.members.get(member_id) is None:
        state, events = newcomer(
            customer_id=customer_id, contact=contact, properties=properties, source=source, tiers=club.tiers,
            current=await reading(club, member_id), cause=cause, now=now,
            club_url=club.links.issue(member_id, now)[1] if club.links else None)
        member, created = await club.members.create(state, events)
        if created:
            log.info("member joined", member_id=member_id, source=source, tier=member.tier)
            if await earning.apply_parked(club, member_id, now):
                member = await club.members.get(member_id) or member
            return member, True
    member = await add_properties(club, member_id, properties, cause, now)
    # a redelivered join may follow one that died before applying the answers parked for the member
    if await earning.apply_parked(club, member_id, now):
        member = await club.members.get(member_id) or member
    return member, False


async def add_properties(
    club: Club, member_id: str, properties: list[Property], cause: Cause, now: datetime
) -> Member:
    """Add units a member owns (each once); the tier follows."""
    current = await reading(club, member_id)
    return await club.members.mutate(
        member_id, lambda member: with_units(member, properties, club.tiers, current, cause, now))


def unit_of(event: PropertyHandedOver) -> Property:
    """The unit a handover gives its owner (with the handover date, an ISO date as members store it)."""
    return Property(project=event.project, building=event.building, unit=event.unit,
                    handover_date=event.handover_date.isoformat())


async def handed_over(club: Club, event: PropertyHandedOver, now: datetime) -> None:
    """A unit was handed over: its owner is a member (joining now if new) owning that unit."""
    await join(club, customer_id=event.customer_id, contact=event.contact, properties=[unit_of(event)],
               source="handover", cause=Cause(event.event_id, event.correlation_id), now=now)
