"""What the owner's club page reads, each by an index (tests/integration/test_query_plans_membership.py).

* offers a tier allows: one equality read per tier at or below the member's (``min_tier``; the
  index below), not a scan of every offer;
* community events still to come: ``closed`` + ``ends_at`` (the index the closing loop uses);
* the member's own redemptions: ``member_id`` (the API's index);
* merchants and offer counts of those offers: ``_id`` (``$in`` on ``_id`` is served by its index).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

Doc = dict[str, Any]
OFFERS_PER_TIER = 100  # a page shows at most this many offers of one tier
EVENTS_MAX = 50  # and this many coming events (the soonest)


async def ensure_owner_indexes(db: AsyncDatabase[Doc]) -> None:
    await db.offers.create_index([("min_tier", ASCENDING), ("created_at", ASCENDING), ("_id", ASCENDING)])


def offers_of_tier(tier: str) -> Doc:
    return {"min_tier": tier}


def coming_events(now: datetime) -> Doc:
    return {"closed": False, "ends_at": {"$gt": now}}


def by_ids(ids: list[str]) -> Doc:
    return {"_id": {"$in": ids}}


class OwnerReads:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.db = db

    async def offers_for(self, tiers: list[str]) -> list[Doc]:
        found: list[Doc] = []
        for tier in tiers:
            found += await self.db.offers.find(offers_of_tier(tier)).limit(OFFERS_PER_TIER).to_list()
        return sorted(found, key=lambda d: (d["created_at"], d["_id"]))

    async def taken(self, offer_ids: list[str]) -> dict[str, int]:
        """How many of each offer's total slots are given (the redemption's hint, see ``offer_counts``)."""
        if not offer_ids:
            return {}
        return {d["_id"]: int(d.get("taken", 0)) for d in await self.db.offer_counts.find(by_ids(offer_ids)).to_list()}

    async def merchants(self, merchant_ids: list[str]) -> dict[str, Doc]:
        if not merchant_ids:
            return {}
        return {d["_id"]: d for d in await self.db.merchants.find(by_ids(merchant_ids)).to_list()}

    async def redemptions(self, member_id: str) -> list[Doc]:
        docs = await self.db.redemptions.find({"member_id": member_id}).to_list()
        return sorted(docs, key=lambda d: (d["at"], d["_id"]))

    async def coming_events(self, now: datetime) -> list[Doc]:
        docs = await self.db.activities.find(coming_events(now)).to_list()
        return sorted(docs, key=lambda d: (d["starts_at"], d["_id"]))[:EVENTS_MAX]
