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
from typing import Any

from kefu_contracts import MEMBER_TIER_CHANGED, Event, MemberTierChanged, derived_event_id
from kefu_kit.aggregates import Change

from .context import Cause, Club
from .domain.members import standing_of
from .domain.tiers import TierTable


def retier(member: dict[str, Any], tiers: TierTable, reading: tuple[int, int], cause: Cause,
           now: datetime) -> list[Event]:
    """Apply a ledger reading (balance, entries seen) unless older, set the tier; the tier change to announce."""
    points, seen = reading
    if seen >= member.get("points_seen", 0):
        member["points"], member["points_seen"] = points, seen
    tier = tiers.tier_for(standing_of(member, member["points"], now))
    previous = member["tier"]
    if tier.id == previous:
        return []
    member["tier"], member["vip"] = tier.id, tier.vip
    member["tier_history"].append({"at": now, "tier": tier.id, "previous": previous, "cause": cause.event_id})
    rev = member.get("rev", 0) + 1
    return [MemberTierChanged(
        event_id=derived_event_id(MEMBER_TIER_CHANGED, member["_id"], str(rev)),
        occurred_at=now, correlation_id=cause.correlation_id, causation_id=cause.event_id,
        customer_id=member["customer_id"], member_id=member["_id"], tier=tier.id, previous_tier=previous,
        vip=tier.vip,
    )]


async def reading(club: Club, member_id: str) -> tuple[int, int]:
    """The member's balance and the number of ledger entries it sums."""
    docs = await club.ledger.entries(member_id)
    return sum(d["points"] for d in docs), len(docs)


async def refresh_tier(club: Club, member_id: str, cause: Cause, now: datetime) -> dict[str, Any]:
    """Recompute a member's tier from the ledger now; announces a change once."""
    current = await reading(club, member_id)

    def change(member: dict[str, Any]) -> Change | None:
        before = (member.get("points"), member.get("points_seen"), member["tier"])
        events = retier(member, club.tiers, current, cause, now)
        if (member["points"], member["points_seen"], member["tier"]) == before:
            return None
        return Change(member, events)

    return await club.members.mutate(member_id, change)
