"""A member's tier follows their standing: recomputed after every change to points or properties.

Several writers (survey answers, check-ins, redemptions, the periodic review)
may refresh one member at once, each with the ledger as it read it. A reading
carries how many ledger entries it saw; the ledger is insert-only, so a reading
that saw fewer entries than the one already applied is older and is ignored.
The last writer to read sees every entry, so the member ends on the right tier
without stepping back and forth.
"""

from __future__ import annotations

from datetime import datetime

from kefu_contracts import MEMBER_TIER_CHANGED, Event, MemberTierChanged, derived_event_id

from .adapters.store import Changed
from .context import Cause, Club
from .domain.members import Member
from .domain.tiers import TierTable


def retier(member: Member, tiers: TierTable, reading: tuple[int, int], cause: Cause, now: datetime) -> list[Event]:
    """Apply a ledger reading (balance, entries seen) unless older, set the tier; the tier change to announce."""
    member.apply_reading(*reading)
    tier = tiers.tier_for(member.standing(member.points, now))
    previous = member.move_to(tier, now, cause.event_id)
    if previous is None:
        return []
    return [MemberTierChanged(
        event_id=derived_event_id(MEMBER_TIER_CHANGED, member.id, str(member.rev + 1)),
        occurred_at=now, correlation_id=cause.correlation_id, causation_id=cause.event_id,
        customer_id=member.customer_id, member_id=member.id, tier=tier.id, previous_tier=previous,
        vip=tier.vip,
    )]


async def reading(club: Club, member_id: str) -> tuple[int, int]:
    """The member's balance and the number of ledger entries it sums."""
    docs = await club.ledger.entries(member_id)
    return sum(d["points"] for d in docs), len(docs)


async def refresh_tier(club: Club, member_id: str, cause: Cause, now: datetime) -> Member:
    """Recompute a member's tier from the ledger now; announces a change once."""
    current = await reading(club, member_id)

    def change(member: Member) -> Changed | None:
        before = (member.points, member.points_seen, member.tier)
        events = retier(member, club.tiers, current, cause, now)
        if (member.points, member.points_seen, member.tier) == before:
            return None
        return Changed(member, events)

    return await club.members.mutate(member_id, change)
