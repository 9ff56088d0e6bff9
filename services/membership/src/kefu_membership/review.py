"""The periodic member review: points expiry (once per member and month) and tiers earned by years.

Any instance may run it at any time. An expiry debit's key names the month
(``expiry|2026-11``) and debits of a member are serialised, so however many
runs and instances there are, a member's points expire once per month. Tiers
that depend on membership years change with time alone, so the review also
refreshes members whose standing now gives another tier.
"""

from __future__ import annotations

from datetime import datetime

from kefu_kit import get_logger

from .adapters.store import as_entries, member_buckets
from .context import Cause, Club
from .domain.members import Member
from .domain.points import balance, expiring, expiry_period
from .standing import refresh_tier

log = get_logger(__name__)


async def _review(club: Club, member: Member, key: str, period: str, start: datetime, months: int,
                  now: datetime) -> int:
    """One member: 1 when their points expired now."""
    member_id = member.id
    docs = await club.ledger.entries(member_id)
    cause = Cause(f"{key}|{member_id}", f"{key}|{member_id}")
    due = 0 if any(d.get("key") == key for d in docs) else expiring(as_entries(docs), start, months)
    if due > 0:
        _, new = await club.ledger.debit(member_id, key, lambda entries: expiring(entries, start, months),
                                         "expiry", now, period=period)
        await refresh_tier(club, member_id, cause, now)
        return int(new)
    if club.tiers.tier_for(member.standing(balance(as_entries(docs)), now)).id != member.tier:
        await refresh_tier(club, member_id, cause, now)
    return 0


async def review_members(club: Club, now: datetime) -> int:
    """Expire what is due this month and put tiers right; returns how many members' points expired."""
    period, start = expiry_period(now)
    key = f"expiry|{period}"
    months = club.rules.expiry_months
    expired = 0
    for low, high in member_buckets():  # every member, a range at a time, each with its own ledger
        for member in await club.members.between(low, high):
            expired += await _review(club, member, key, period, start, months, now)
    if expired:
        log.info("points expired", period=period, members=expired)
    return expired
