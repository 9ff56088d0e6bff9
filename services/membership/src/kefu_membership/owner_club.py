"""The owner's own view of the club, and what they may do from it, all for the one member their link names.

Every action is the staff API's use case (``redeeming.redeem``, ``activities.sign_up`` and ``cancel``):
the same limits, the same revisions, the same events. The member comes from the verified link only,
never from the request, so an owner can neither read nor act for another member. Others' member
numbers on an event's roster are never shown: only how many places are taken and the owner's own
place on the waiting list.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from . import activities, redeeming
from .adapters.owner_reads import OwnerReads
from .context import Club, Unknown
from .domain.members import Member
from .standing import reading

LEDGER_SHOWN = 50  # the newest entries; the balance sums all of them


def _visible(activity: dict[str, Any], member: Member) -> bool:
    """Events open to all, or of a project where the owner has a unit."""
    return activity.get("project") in (None, "", *member.projects)


def place(activity: dict[str, Any], member_id: str) -> dict[str, Any]:
    status = activities.status_of(activity, member_id)
    position = activity["waitlist"].index(member_id) + 1 if status == "waitlisted" else None
    return {"activity_id": activity["_id"], "status": status, "waitlist_position": position}


def _event(activity: dict[str, Any], member_id: str) -> dict[str, Any]:
    return {**place(activity, member_id), "title": activity["title"], "project": activity.get("project"),
            "starts_at": activity["starts_at"], "ends_at": activity["ends_at"], "capacity": activity["capacity"],
            "taken": len(activity["confirmed"]), "waiting": len(activity["waitlist"])}


async def member_of(club: Club, member_id: str) -> Member:
    member = await club.members.get(member_id)
    if member is None:
        raise Unknown(f"no member {member_id}")
    return member


async def view(club: Club, reads: OwnerReads, member_id: str, now: datetime) -> dict[str, Any]:
    """Tier, points and ledger, the offers the tier allows (and whether each is redeemable now),
    the owner's codes, and the coming events with the owner's place."""
    member = await member_of(club, member_id)
    tier = club.tiers.get(member.tier)
    balance, _ = await reading(club, member_id)
    ledger = await club.ledger.entries(member_id)
    allowed = [t.id for t in club.tiers.tiers if club.tiers.at_least(tier.id, t.id)]
    offers = await reads.offers_for(allowed)
    taken = await reads.taken([o["_id"] for o in offers])
    merchants = await reads.merchants(sorted({o["merchant_id"] for o in offers}))
    mine = await reads.redemptions(member_id)
    used: dict[str, int] = {}
    for r in mine:
        used[r["offer_id"]] = used.get(r["offer_id"], 0) + 1
    offer_views = []
    for o in offers:
        why = ("limit" if used.get(o["_id"], 0) >= o["limit_per_member"] else
               "sold_out" if taken.get(o["_id"], 0) >= o["limit_total"] else
               "points" if o["points_cost"] > balance else None)
        offer_views.append({"offer_id": o["_id"], "title": o["title"], "min_tier": o["min_tier"],
                            "merchant": (merchants.get(o["merchant_id"]) or {}).get("name"),
                            "points_cost": o["points_cost"], "limit_per_member": o["limit_per_member"],
                            "redeemed": used.get(o["_id"], 0), "redeemable": why is None, "why_not": why})
    events = [_event(a, member_id) for a in await reads.coming_events(now) if _visible(a, member)]
    return {
        "member_id": member_id, "tier": tier.id, "tier_name": tier.name, "vip": tier.vip, "balance": balance,
        "joined_at": member.joined_at,
        "ledger": [{k: e.get(k) for k in ("points", "rule", "at")} for e in reversed(ledger)][:LEDGER_SHOWN],
        "ledger_entries": len(ledger),
        "offers": offer_views,
        "redemptions": [{k: r[k] for k in ("code", "offer_id", "title", "points", "at")} for r in reversed(mine)],
        "events": events,
    }


async def redeem(club: Club, member_id: str, offer_id: str, now: datetime) -> dict[str, Any]:
    """The staff redemption for this member (tier, limits and points checked there)."""
    await member_of(club, member_id)
    done = await redeeming.redeem(club, member_id, offer_id, now)
    return {k: done[k] for k in ("code", "offer_id", "title", "points", "at")}


async def _shown_event(club: Club, member: Member, activity_id: str) -> dict[str, Any]:
    activity = await club.activities.get(activity_id)
    if activity is None or not _visible(activity, member):
        raise Unknown(f"no activity {activity_id}")
    return activity


async def sign_up(club: Club, member_id: str, activity_id: str, now: datetime) -> dict[str, Any]:
    """The staff sign-up for this member: a place, else the waiting list."""
    member = await member_of(club, member_id)
    await _shown_event(club, member, activity_id)
    return place(await activities.sign_up(club, activity_id, member_id, now), member_id)


async def cancel(club: Club, member_id: str, activity_id: str, now: datetime) -> dict[str, Any]:
    """The staff cancellation for this member; the first waiting moves up."""
    member = await member_of(club, member_id)
    await _shown_event(club, member, activity_id)
    return place(await activities.cancel(club, activity_id, member_id, now), member_id)
