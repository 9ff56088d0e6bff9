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

from .adapters.store import as_entries
from .context import Cause, Club
from .domain.members import standing_of
from .domain.points import balance, expiring, expiry_period
from .standing import refresh_tier

log = get_logger(__name__)


async def review_members(club: Club, now: datetime) -> int:
    """Expire what is due this month and put tiers right; returns how many members' points expired."""
    period, start = expiry_period(now)
    key = f"expiry|{period}"
    months = club.rules.expiry_months
    ledgers = await club.ledger.everything()
    expired = 0
    for member in await club.members.all():
        member_id = member["_id"]
        docs = ledgers.get(member_id, [])
        cause = Cause(f"{key}|{member_id}", f"{key}|{member_id}")
        due = 0 if any(d.get("key") == key for d in docs) else expiring(as_entries(docs), start, months)
        if due > 0:
            _, new = await club.ledger.debit(member_id, key, lambda entries: expiring(entries, start, months),
                                             "expiry", now, period=period)
            expired += new
            await refresh_tier(club, member_id, cause, now)
        elif club.tiers.tier_for(standing_of(member, balance(as_entries(docs)), now)).id != member["tier"]:
            await refresh_tier(club, member_id, cause, now)
    if expired:
        log.info("points expired", period=period, members=expired)
    return expired
