"""The owner's club page on the real store: each of its reads is served by an index (adapters/owner_reads.py).

Offers of one tier (one equality read per tier the member has reached), coming events (closed + ends_at),
the member's redemptions, and merchants and offer counts by ``_id``.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from kefu_membership import owner_club, redeeming
from kefu_membership.adapters.owner_reads import OwnerReads, by_ids, coming_events, ensure_owner_indexes, offers_of_tier
from kefu_membership.adapters.store import of_member
from support.plans import assert_indexed

from test_query_plans_membership import T0, club_of, fill

pytestmark = pytest.mark.integration


async def test_every_read_of_the_owner_page_is_served_by_an_index(mongo, namespace):
    club = await club_of(mongo, namespace)
    db = mongo[f"{namespace}_kefu_membership"]
    await ensure_owner_indexes(db)
    merchant_id, offer_id, ids = await fill(club, members=4, credits=3)
    await redeeming.redeem(club, ids[0], offer_id, T0)
    reads = OwnerReads(db)
    view = await owner_club.view(club, reads, ids[0], T0 - timedelta(days=1))
    assert len(view["offers"]) == 7 and [r["offer_id"] for r in view["redemptions"]] == [offer_id]
    for tier in ("regular", "silver"):
        await assert_indexed(db.offers, offers_of_tier(tier), limit=100)
    await assert_indexed(db.activities, coming_events(T0))
    await assert_indexed(db.redemptions, of_member(ids[0]))
    await assert_indexed(db.merchants, by_ids([merchant_id]))
    await assert_indexed(db.offer_counts, by_ids([offer_id]))
