"""Alliance merchants (联盟商家), their offers per tier, and redeeming them against points.

A redemption claims a slot under the member's limit, then one under the
offer's total, then debits the points; whatever fails gives back what was
claimed before it. Slots are unique inserts, so the limits hold however many
owners redeem at once. (A process killed between a claim and the debit leaves
that slot taken: the limits err on the side of the merchant.)
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Any

from kefu_kit import get_logger

from .context import Cause, Club, Conflict, Unknown
from .domain.benefits import Offer
from .domain.points import NotEnoughPoints
from .standing import refresh_tier

log = get_logger(__name__)


async def add_merchant(club: Club, fields: dict[str, Any], now: datetime) -> dict[str, Any]:
    doc = {"_id": "MC" + uuid.uuid4().hex[:12].upper(), **fields, "created_at": now}
    await club.benefits.merchants.insert_one(doc)
    return doc


async def add_offer(club: Club, merchant_id: str, fields: dict[str, Any], now: datetime) -> dict[str, Any]:
    if await club.benefits.merchant(merchant_id) is None:
        raise Unknown(f"no merchant {merchant_id}")
    doc = {"_id": "OF" + uuid.uuid4().hex[:12].upper(), "merchant_id": merchant_id, **fields, "created_at": now}
    _offer(doc)  # validates the limits
    await club.benefits.offers.insert_one(doc)
    return doc


def _offer(doc: dict[str, Any]) -> Offer:
    return Offer(doc["_id"], doc["min_tier"], doc["points_cost"], doc["limit_per_member"], doc["limit_total"])


async def redeem(club: Club, member_id: str, offer_id: str, now: datetime) -> dict[str, Any]:
    """Redeem an offer for a member: a code, within the limits, paid in points (``Conflict`` when not)."""
    member = await club.members.get(member_id)
    if member is None:
        raise Unknown(f"no member {member_id}")
    offer_doc = await club.benefits.offer(offer_id)
    if offer_doc is None:
        raise Unknown(f"no offer {offer_id}")
    offer = _offer(offer_doc)
    offer.require_eligible(member.tier, club.tiers)
    code = secrets.token_hex(5).upper()
    b = club.benefits
    mine = await b.claim(offer.member_slots(member_id), offer_id=offer_id, kind="member", code=code, at=now)
    if mine is None:
        raise Conflict(f"member {member_id} has redeemed offer {offer_id} {offer.limit_per_member} time(s), the limit")
    total = await b.claim(offer.total_slots(await b.taken(offer_id)), offer_id=offer_id, kind="total", code=code,
                          at=now)
    if total is None:
        await b.release(mine)
        raise Conflict(f"offer {offer_id} is fully redeemed ({offer.limit_total})")
    try:
        if offer.points_cost:
            await club.ledger.debit(member_id, f"redemption|{code}", lambda _: offer.points_cost, "redemption", now,
                                    offer_id=offer_id, code=code)
    except Exception as exc:  # not enough points, or too many debits racing: give the slots back
        await b.release(total)
        await b.release(mine)
        if isinstance(exc, NotEnoughPoints):
            raise Conflict(str(exc)) from exc
        raise
    doc = {"_id": code, "code": code, "member_id": member_id, "offer_id": offer_id,
           "merchant_id": offer_doc["merchant_id"], "title": offer_doc["title"], "points": offer.points_cost,
           "slot": total, "at": now}
    await b.redemptions.insert_one(doc)
    log.info("offer redeemed", member_id=member_id, offer_id=offer_id, code=code)
    if offer.points_cost:
        await refresh_tier(club, member_id, Cause(f"redemption-{code}", f"redemption-{code}"), now)
    return doc
