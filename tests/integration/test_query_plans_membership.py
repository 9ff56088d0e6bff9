"""Membership on the real store: every repository query is served by an index, the review walks members a
page at a time, the offer's taken-slots hint is a counter, and the member, redemption and offer lists page
in the store.

Queries covered (adapters/store.py; the filters are the store's own functions): members after an id (the
review's pages); activities due to close; points, redemptions by member (with and without a cursor); offers
by merchant (likewise); merchants, offers, offer slots, offer counts, referrals by id.
Exempt: the members' and activities' aggregate queries (``kefu_kit.aggregates``: get, mutate, revisions,
outbox relay: another engineer's).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from kefu_contracts import Contact
from kefu_kit.auth import TokenBook
from kefu_kit.pages import page_queries
from kefu_membership import redeeming
from kefu_membership.adapters.store import (
    ActivityStore,
    Benefits,
    Ledger,
    MemberStore,
    Referrals,
    by_id,
    due_to_close_filter,
    ensure_indexes,
    member_buckets,
    members_between,
    of_member,
    of_merchant,
)
from kefu_membership.api import build_router
from kefu_membership.context import Cause, Club
from kefu_membership.joining import join
from kefu_membership.review import review_members
from pymongo import ASCENDING
from support import auth
from support.plans import assert_indexed

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc)


async def club_of(mongo, namespace: str) -> Club:
    db = mongo[f"{namespace}_kefu_membership"]
    await ensure_indexes(db)

    async def publish(event: Any) -> None:
        return None

    return Club(members=MemberStore(db, publish), activities=ActivityStore(db, publish), ledger=Ledger(db),
                benefits=Benefits(db), referrals=Referrals(db))


async def fill(club: Club, members: int = 12, credits: int = 9) -> tuple[str, str, list[str]]:
    ids = []
    for i in range(members):
        member, _ = await join(club, customer_id=f"C{i}", contact=Contact(name="王", phone=f"1390000{i:04d}"),
                               properties=[], source="application", cause=Cause(f"app-{i}", f"app-{i}"), now=T0)
        ids.append(member.id)
        for k in range(credits):
            await club.ledger.credit(member.id, 100, "survey", f"sv-{i}-{k}", T0 + timedelta(minutes=k % 3))
    merchant = await redeeming.add_merchant(club, {"name": "咖啡馆", "category": None, "address": None}, T0)
    offer = None
    for k in range(7):
        offer = await redeeming.add_offer(club, merchant["_id"], {
            "title": f"优惠 {k}", "min_tier": "regular", "points_cost": 10, "limit_per_member": 5,
            "limit_total": 40}, T0 + timedelta(seconds=k // 2))
    assert offer is not None
    return merchant["_id"], offer["_id"], ids


async def test_every_repository_query_is_served_by_an_index(mongo, namespace):
    club = await club_of(mongo, namespace)
    merchant_id, offer_id, ids = await fill(club)
    await redeeming.redeem(club, ids[0], offer_id, T0)
    for low, high in member_buckets()[::51]:
        await assert_indexed(club.members.snapshots, members_between(low, high))
    await assert_indexed(club.activities.snapshots, due_to_close_filter(T0))
    _, cursor = await club.ledger.page(ids[0], None, 3)
    for query, sort in page_queries(of_member(ids[0]), "at", ASCENDING, cursor):
        await assert_indexed(club.ledger.points, query, sort=sort, limit=4)
        await assert_indexed(club.benefits.redemptions, query, sort=sort, limit=4)
    _, cursor = await club.benefits.offers_of(merchant_id, None, 2)
    for query, sort in page_queries(of_merchant(merchant_id), "created_at", ASCENDING, cursor):
        await assert_indexed(club.benefits.offers, query, sort=sort, limit=3)
    for coll in (club.benefits.merchants, club.benefits.offers, club.benefits.slots, club.benefits.counts,
                 club.referrals.referrals, club.ledger.points):
        await assert_indexed(coll, by_id(offer_id))


async def test_the_review_walks_every_member_by_id_ranges_and_the_slots_hint_counts(mongo, namespace):
    club = await club_of(mongo, namespace)
    _, offer_id, ids = await fill(club, members=7, credits=2)
    buckets = member_buckets()
    assert buckets[0][0] == "M00" and buckets[-1][1] == "MG" and all(a[1] == b[0] for a, b in zip(buckets, buckets[1:]))
    seen: list[str] = []
    original = club.ledger.entries

    async def entries(member_id: str) -> list[dict[str, Any]]:
        seen.append(member_id)
        return await original(member_id)

    club.ledger.entries = entries  # type: ignore[method-assign]
    await review_members(club, T0 + timedelta(days=400))
    assert sorted(seen) == sorted(ids)  # each member once
    for member_id in ids[:3]:
        await redeeming.redeem(club, member_id, offer_id, T0)
    assert await club.benefits.taken(offer_id) == 3 == await club.benefits.slots.count_documents(
        {"offer_id": offer_id, "kind": "total"})


async def test_the_lists_page_in_the_store(mongo, namespace):
    club = await club_of(mongo, namespace)
    merchant_id, offer_id, ids = await fill(club, members=3, credits=11)
    for _ in range(5):
        await redeeming.redeem(club, ids[1], offer_id, T0)
    app = FastAPI()
    app.include_router(build_router(club))
    app.state.tokens = TokenBook(json.loads(auth.env()))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t",
                                 headers=auth.headers("relations")) as c:

        async def walk(path: str, pick: Any) -> list[str]:
            seen, cursor = [], None
            while True:
                r = await c.get(path, params={"limit": 4, **({"cursor": cursor} if cursor else {})})
                assert r.status_code == 200, r.text
                items = pick(r.json())
                assert len(items) <= 4
                seen += [x["_id"] for x in items]
                cursor = r.headers.get("X-Next-Cursor")
                if not cursor:
                    return seen

        points = await walk(f"/members/{ids[1]}/points", lambda b: b["entries"])
        every = await club.ledger.points.find({"member_id": ids[1]}).sort([("at", 1), ("_id", 1)]).to_list()
        assert points == [d["_id"] for d in every] and len(points) == 11 + 5
        body = (await c.get(f"/members/{ids[1]}/points", params={"limit": 2})).json()
        assert body["balance"] == sum(d["points"] for d in every) and len(body["entries"]) == 2
        redeemed = await walk(f"/members/{ids[1]}/redemptions", lambda b: b)
        assert len(redeemed) == 5 == len(set(redeemed))
        offers = await walk(f"/merchants/{merchant_id}", lambda b: b["offers"])
        every = await club.benefits.offers.find({"merchant_id": merchant_id}).sort(
            [("created_at", 1), ("_id", 1)]).to_list()
        assert offers == [d["_id"] for d in every] and len(offers) == 7
        assert (await c.get(f"/members/{ids[1]}/points", params={"limit": 501})).status_code == 422
        assert (await c.get(f"/members/{ids[1]}/redemptions", params={"cursor": "x"})).status_code == 422
        spec = (await c.get("/openapi.json")).json()
        assert "X-Next-Cursor" in spec["paths"]["/members/{member_id}/points"]["get"]["responses"]["200"]["headers"]


async def test_parked_answers_are_found_by_member_and_expired_by_age(mongo, namespace):
    from kefu_membership.adapters.parked import ensure_parked_indexes, parked_before, parked_of

    db = mongo[f"{namespace}_kefu_membership"]
    await ensure_parked_indexes(db)
    await db.parked_answers.insert_many([
        {"_id": f"answered-{i}", "member_id": f"M{i % 40:012X}", "occurred_at": T0 + timedelta(minutes=i),
         "parked_at": T0 + timedelta(minutes=2 * i), "event": b"{}"} for i in range(400)])
    await assert_indexed(db.parked_answers, parked_of(f"M{7:012X}"))
    await assert_indexed(db.parked_answers, parked_before(T0 + timedelta(hours=1)), limit=500)
    await assert_indexed(db.parked_answers, by_id("answered-3"))
