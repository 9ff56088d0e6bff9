"""The owners' club (客户会) on real servers: joining, points, tiers, community events, benefits.

Membership runs as two processes of one consumer group, as in production: API
requests go to both, so the concurrency guarantees (places at an event,
redemption limits) are tested across instances.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date, datetime, timedelta, timezone

import httpx
import pytest
from kefu_contracts import Contact, PropertyHandedOver, SurveyAnswered, SurveyKind, Topics
from kefu_membership.domain.members import member_id_for

from e2e.test_case_pipeline import no_dead_letters
from support import auth
from support.kafka_io import read_all, send_json
from support.waiting import eventually

pytestmark = pytest.mark.e2e


def now() -> datetime:
    return datetime.now(timezone.utc)


async def events(infra, ns: str, topic: str) -> list[dict]:
    return [json.loads(m.value) for m in await read_all(infra, Topics(ns)(topic), 1000)]


def handover(customer_id: str, unit: str) -> PropertyHandedOver:
    return PropertyHandedOver(
        event_id=f"handover-{uuid.uuid4()}", occurred_at=now(), correlation_id=f"reg-{uuid.uuid4()}",
        causation_id=f"reg-{uuid.uuid4()}", customer_id=customer_id, project="翠湖天地", building="2幢", unit=unit,
        handover_date=date(2026, 11, 20), contact=Contact(name="王先生", phone="13900001111"),
    )


def answered(customer_id: str, kind: SurveyKind = SurveyKind.REPAIR_RETURN_VISIT) -> SurveyAnswered:
    return SurveyAnswered(
        event_id=f"answered-{uuid.uuid4()}", occurred_at=now(), correlation_id=f"call-{uuid.uuid4()}",
        causation_id=f"due-{uuid.uuid4()}", survey_id=f"sv-{uuid.uuid4()}", kind=kind, customer_id=customer_id,
        questionnaire_id="q-repair", csat=5, solved=True, answered_at=now(),
    )


async def send(producer, ns: str, topic: str, event) -> None:
    await send_json(producer, Topics(ns)(topic), event.to_json_bytes(), key=event.kafka_key())


async def join(client: httpx.AsyncClient, customer_id: str, **fields) -> dict:
    reply = await client.post("/members", json={"customer_id": customer_id, "name": f"业主{customer_id}",
                                                 "phone": "13800002222", **fields})
    assert reply.status_code == 201, reply.text
    return reply.json()


async def test_an_owner_joins_once_at_handover_and_adds_later_units(services, producer, mongo, namespace, infra):
    services("membership")
    first = handover("C-100", "0801")
    for _ in range(3):  # redelivered
        await send(producer, namespace, "property.handed_over", first)
    await send(producer, namespace, "property.handed_over", handover("C-100", "0802"))

    members = mongo[f"{namespace}_kefu_membership"].members
    member = await eventually(lambda: members.find_one({"customer_id": "C-100"}),
                              lambda m: m is not None and len(m["properties"]) == 2, what="a member with 2 units")
    assert member["_id"] == member_id_for("C-100") and member["source"] == "handover"
    assert await members.count_documents({}) == 1
    joined = await events(infra, namespace, "member.joined")
    assert len(joined) == 1, "member.joined once, however often the handover is delivered"
    assert joined[0]["member_id"] == member["_id"] and joined[0]["source"] == "handover"
    assert joined[0]["causation_id"] == first.event_id and joined[0]["correlation_id"] == first.correlation_id
    # 2 units make a silver member (tiers.toml): announced once
    changed = await eventually(lambda: events(infra, namespace, "member.tier_changed"), lambda e: len(e) == 1,
                               what="one tier change")
    assert (changed[0]["tier"], changed[0]["previous_tier"], changed[0]["vip"]) == ("silver", "regular", False)
    await no_dead_letters(infra, namespace)


async def test_points_for_answers_once_and_a_tier_up_makes_a_vip_routing_knows(
    services, producer, mongo, namespace, infra, tmp_path
):
    points = tmp_path / "points.toml"
    points.write_text('expiry_months = 24\n[earn]\nevent_checkin = 100\nreferral = 1000\n'
                      '[earn.survey]\ndefault = 3000\n', encoding="utf-8")
    (membership,) = services("membership", KEFU_POINTS_FILE=str(points))
    services("routing")
    async with auth.client(membership.url, "relations") as client:
        member = await join(client, "C-200")
        assert (member["tier"], member["vip"], member["balance"]) == ("regular", False, 0)
        mid = member["member_id"]

        first = answered("C-200")
        await send(producer, namespace, "survey.answered", first)
        await send(producer, namespace, "survey.answered", first)  # the same answer again
        await eventually(lambda: client.get(f"/members/{mid}"), lambda r: r.json()["tier"] == "silver",
                         what="silver after 3000 points")
        await send(producer, namespace, "survey.answered", answered("C-200", SurveyKind.PERIODIC_SATISFACTION))
        gold = await eventually(lambda: client.get(f"/members/{mid}"), lambda r: r.json()["tier"] == "gold",
                                what="gold after 6000 points")
        assert gold.json()["balance"] == 6000 and gold.json()["vip"] is True
        ledger = (await client.get(f"/members/{mid}/points")).json()
        assert [e["points"] for e in ledger["entries"]] == [3000, 3000], "the repeated answer earned nothing"

    changes = await eventually(lambda: events(infra, namespace, "member.tier_changed"), lambda e: len(e) >= 2,
                               what="two tier changes")
    assert [(e["tier"], e["vip"]) for e in changes] == [("silver", False), ("gold", True)]
    assert all(e["customer_id"] == "C-200" and e["member_id"] == mid for e in changes)
    vips = mongo[f"{namespace}_kefu_routing"].vip_customers
    await eventually(lambda: vips.find_one({"_id": "C-200"}), lambda d: d is not None and d["vip"] is True,
                     what="routing knows C-200 is a VIP owner")
    await no_dead_letters(infra, namespace)


async def test_concurrent_signups_fill_the_places_and_the_waiting_list_moves_up(
    services, mongo, namespace, infra
):
    a, b = services("membership", "membership")
    async with auth.client(a.url, "relations", timeout=30) as ca, auth.client(b.url, "relations",
                                                                             timeout=30) as cb:
        ids = [(await join(ca, f"C-3{i:02d}"))["member_id"] for i in range(6)]
        created = await ca.post("/activities", json={"title": "中秋业主联谊会", "project": "翠湖天地",
                                                     "starts_at": (now() + timedelta(days=3)).isoformat(),
                                                     "capacity": 3})
        assert created.status_code == 201, created.text
        act = created.json()["_id"]

        replies = await asyncio.gather(*[(ca if i % 2 else cb).post(f"/activities/{act}/signups",
                                                                    json={"member_id": m})
                                         for i, m in enumerate(ids)])
        assert all(r.status_code == 200 for r in replies), [r.text for r in replies]
        statuses = [r.json()["status"] for r in replies]
        assert sorted(statuses) == ["confirmed"] * 3 + ["waitlisted"] * 3
        activity = (await ca.get(f"/activities/{act}")).json()
        assert len(activity["confirmed"]) == 3 and len(activity["waitlist"]) == 3
        first_waiting = activity["waitlist"][0]

        leaving = activity["confirmed"][1]
        assert (await cb.delete(f"/activities/{act}/signups/{leaving}")).status_code == 200
        after = (await ca.get(f"/activities/{act}")).json()
        assert first_waiting in after["confirmed"] and leaving not in after["confirmed"]
        assert after["waitlist"] == activity["waitlist"][1:]

        # check-in earns points once; the waitlisted cannot check in
        attendee = after["confirmed"][0]
        for client in (ca, cb):
            assert (await client.post(f"/activities/{act}/signups/{attendee}/checkin")).status_code == 200
        assert (await ca.post(f"/activities/{act}/signups/{after['waitlist'][0]}/checkin")).status_code == 409
        assert (await ca.get(f"/members/{attendee}")).json()["balance"] == 100
        closed = await cb.post(f"/activities/{act}/close")
        assert closed.status_code == 200 and closed.json()["closed"] is True
        assert (await ca.post(f"/activities/{act}/close")).status_code == 200
        assert (await ca.post(f"/activities/{act}/signups", json={"member_id": ids[0]})).status_code == 409
        assert (await ca.post("/activities/EVNOPE/signups", json={"member_id": ids[0]})).status_code == 404
        assert (await ca.post(f"/activities/{act}/signups", json={"member_id": "MNOPE"})).status_code == 404

    moves = [(e["member_id"], e["status"]) for e in await events(infra, namespace, "community_event.signup_changed")]
    assert sorted(s for _, s in moves) == sorted(
        ["confirmed"] * 3 + ["waitlisted"] * 3 + ["cancelled", "promoted", "checked_in"])
    assert (leaving, "cancelled") in moves and (first_waiting, "promoted") in moves
    attended = await events(infra, namespace, "community_event.attended")
    assert [(e["member_id"], e["activity_id"], e["project"]) for e in attended] == [(attendee, act, "翠湖天地")]
    await no_dead_letters(infra, namespace)


async def test_referrals_earn_once_and_redemption_limits_hold_under_concurrent_requests(services, namespace, infra):
    a, b = services("membership", "membership")
    async with auth.client(a.url, "relations", timeout=60) as ca, auth.client(b.url, "relations",
                                                                             timeout=60) as cb:
        ids = [(await join(ca, f"C-4{i:02d}"))["member_id"] for i in range(6)]
        for i, m in enumerate(ids):
            referral = {"buyer_name": f"买家{i}", "contract_ref": f"HT-2026-{i:04d}"}
            assert (await ca.post(f"/members/{m}/referrals", json=referral)).status_code == 201
            assert (await cb.post(f"/members/{m}/referrals", json=referral)).status_code == 200
        taken = await ca.post(f"/members/{ids[1]}/referrals", json={"buyer_name": "x", "contract_ref": "HT-2026-0000"})
        assert taken.status_code == 409
        assert (await ca.get(f"/members/{ids[0]}")).json()["balance"] == 1000, "one referral, one credit"
        assert (await ca.post("/members/MNOPE/referrals", json={"buyer_name": "x", "contract_ref": "y"})
                ).status_code == 404

        merchant = (await ca.post("/merchants", json={"name": "湖畔咖啡", "category": "餐饮"})).json()
        offer = await ca.post(f"/merchants/{merchant['_id']}/offers", json={
            "title": "咖啡买一送一", "min_tier": "regular", "points_cost": 300, "limit_per_member": 2,
            "limit_total": 5})
        assert offer.status_code == 201, offer.text
        oid = offer.json()["_id"]

        requests = [(ca if k % 2 else cb).post(f"/members/{m}/redemptions", json={"offer_id": oid})
                    for k in range(3) for m in ids]
        replies = await asyncio.gather(*requests)
        codes = [r.status_code for r in replies]
        assert codes.count(201) == 5 and codes.count(409) == 13, [r.text for r in replies if r.status_code >= 500]
        per_member = {m: len((await ca.get(f"/members/{m}/redemptions")).json()) for m in ids}
        assert sum(per_member.values()) == 5 and max(per_member.values()) <= 2
        for m in ids:
            balance = (await cb.get(f"/members/{m}")).json()["balance"]
            assert balance == 1000 - 300 * per_member[m]

        # not enough points, a tier too low, unknowns: clear answers
        dear = (await ca.post(f"/merchants/{merchant['_id']}/offers", json={
            "title": "年卡", "min_tier": "regular", "points_cost": 5000, "limit_per_member": 1,
            "limit_total": 10})).json()
        poor = await ca.post(f"/members/{ids[0]}/redemptions", json={"offer_id": dear["_id"]})
        assert poor.status_code == 409 and "points" in poor.json()["detail"]
        gold_only = (await ca.post(f"/merchants/{merchant['_id']}/offers", json={
            "title": "贵宾休息室", "min_tier": "gold", "points_cost": 0, "limit_per_member": 1,
            "limit_total": 10})).json()
        assert (await ca.post(f"/members/{ids[0]}/redemptions", json={"offer_id": gold_only["_id"]})
                ).status_code == 403
        assert (await ca.post(f"/members/{ids[0]}/redemptions", json={"offer_id": "OFNOPE"})).status_code == 404
        assert (await ca.get("/members/MNOPE")).status_code == 404
        assert (await ca.post(f"/merchants/{merchant['_id']}/offers", json={
            "title": "x", "min_tier": "platinum", "points_cost": 0, "limit_per_member": 1, "limit_total": 1})
                ).status_code == 422
    await no_dead_letters(infra, namespace)


async def test_points_expire_once_per_member_and_month_and_events_close_by_themselves(
    services, mongo, namespace, infra
):
    fast = {"KEFU_REVIEW_INTERVAL_S": "0.3", "KEFU_CLOSE_INTERVAL_S": "0.3"}
    a, b = services("membership", "membership", **fast)
    async with auth.client(a.url, "relations", timeout=30) as client:
        mid = (await join(client, "C-500"))["member_id"]
        await client.post(f"/members/{mid}/referrals", json={"buyer_name": "李女士", "contract_ref": "HT-500"})
        # points earned 25 months ago (the past cannot be produced through the API: written as the ledger would)
        points = mongo[f"{namespace}_kefu_membership"].points
        await points.insert_one({"_id": "old-credit", "member_id": mid, "points": 700, "rule": "survey",
                                 "source": "answered-long-ago", "at": now() - timedelta(days=31 * 25)})
        expired = await eventually(lambda: points.find({"member_id": mid, "rule": "expiry"}).to_list(),
                                   lambda e: len(e) >= 1, what="an expiry entry")
        await asyncio.sleep(1.5)  # both instances review a few more times
        assert await points.count_documents({"member_id": mid, "rule": "expiry"}) == 1
        assert expired[0]["points"] == -700 and expired[0]["period"] == expired[0]["key"].split("|")[1]
        assert (await client.get(f"/members/{mid}")).json()["balance"] == 1000

        # an event that ends in a few seconds closes by itself and announces who attended
        created = await client.post("/activities", json={
            "title": "亲子手工课", "project": "翠湖天地", "starts_at": (now() - timedelta(seconds=50)).isoformat(),
            "capacity": 10, "duration_minutes": 1})
        act = created.json()["_id"]
        assert (await client.post(f"/activities/{act}/signups", json={"member_id": mid})).json()["status"] == "confirmed"
        assert (await client.post(f"/activities/{act}/signups/{mid}/checkin")).status_code == 200
        await eventually(lambda: client.get(f"/activities/{act}"), lambda r: r.json()["closed"] is True,
                         what="the event closed after its end")
    attended = await eventually(lambda: events(infra, namespace, "community_event.attended"),
                                lambda e: len(e) >= 1, what="attended")
    assert [(e["member_id"], e["activity_id"]) for e in attended] == [(mid, act)]
    await no_dead_letters(infra, namespace)


async def test_agents_sign_owners_up_on_the_phone_and_only_pii_roles_see_names_and_phones(services, namespace):
    """Roles of the club: hotline agents sign owners up (club and events) and look them up; crediting, checking
    in and redeeming stay with customer relations; the analyst reads members with name and phone masked;
    department staff see no member (members are not their department's cases)."""
    (membership,) = services("membership")
    async with auth.client(membership.url, "agent") as agent, auth.client(membership.url, "relations") as rel, \
            auth.client(membership.url, "analyst") as analyst, \
            auth.client(membership.url, "engineering") as engineering:
        joined = await agent.post("/members", json={"customer_id": "C-600", "name": "王先生", "phone": "13800002222",
                                                    "email": "wang@example.com"})
        assert joined.status_code == 201, joined.text
        mid = joined.json()["member_id"]
        assert joined.json()["contact"] == {"name": "王先生", "phone": "13800002222", "email": "wang@example.com"}
        for client in (agent, rel):
            assert (await client.get(f"/members/{mid}")).json()["contact"]["phone"] == "13800002222"

        seen = await analyst.get(f"/members/{mid}")
        assert seen.status_code == 200, seen.text
        assert seen.json()["contact"] == {"name": "王**", "phone": "138****2222", "email": "w***@example.com"}
        assert "13800002222" not in seen.text and "王先生" not in seen.text
        assert (seen.json()["tier"], seen.json()["balance"]) == ("regular", 0), "the rest in clear"
        assert (await analyst.get(f"/members/{mid}/points")).status_code == 200
        assert (await engineering.get(f"/members/{mid}")).status_code == 403

        soon = (now() + timedelta(days=1)).isoformat()
        act = (await rel.post("/activities", json={"title": "业主联谊会", "starts_at": soon, "capacity": 5})).json()["_id"]
        signed = await agent.post(f"/activities/{act}/signups", json={"member_id": mid})
        assert signed.status_code == 200 and signed.json()["status"] == "confirmed", signed.text
        cancelled = await agent.delete(f"/activities/{act}/signups/{mid}")
        assert cancelled.status_code == 200 and mid not in cancelled.json()["confirmed"], cancelled.text
        assert (await agent.post(f"/activities/{act}/signups", json={"member_id": mid})).json()["status"] == "confirmed"
        refused = [await agent.post(f"/activities/{act}/signups/{mid}/checkin"),
                   await agent.post(f"/members/{mid}/referrals",
                                    json={"buyer_name": "李女士", "contract_ref": "HT-600"}),
                   await analyst.post("/members", json={"customer_id": "C-601"})]
        assert [r.status_code for r in refused] == [403, 403, 403], [r.text for r in refused]
        assert (await rel.post(f"/activities/{act}/signups/{mid}/checkin")).status_code == 200


async def test_input_the_operations_cannot_take_is_refused_by_the_schema_not_with_a_500(services, namespace):
    """What each body may hold is in the OpenAPI document, and anything else is a 422 in the kit's shape:
    ids that would not fit the ids derived from them, empty contact fields, tiers the club does not have,
    dates and amounts the store cannot hold."""
    (membership,) = services("membership")
    async with auth.client(membership.url, "relations") as rel:
        doc = (await rel.get("/openapi.json")).json()
        schemas = doc["components"]["schemas"]
        tiers = schemas["OfferIn"]["properties"]["min_tier"]
        assert tiers.get("enum") == ["regular", "silver", "gold", "diamond"], tiers

        refused = {
            "customer id of 130": await rel.post("/members", json={"customer_id": "C" * 130, "name": "", "phone": ""}),
            "customer id of 128": await rel.post("/members", json={"customer_id": "C" * 128}),
            "empty phone": await rel.post("/members", json={"customer_id": "C-700", "phone": ""}),
            "blank customer id": await rel.post("/members", json={"customer_id": "   "}),
        }
        mid = (await join(rel, "C-700"))["member_id"]
        refused["contract ref of 128"] = await rel.post(f"/members/{mid}/referrals",
                                                        json={"buyer_name": "李女士", "contract_ref": "H" * 128})
        merchant = (await rel.post("/merchants", json={"name": "湖畔咖啡"})).json()["_id"]
        offer = {"title": "咖啡", "min_tier": "regular", "points_cost": 0, "limit_per_member": 1, "limit_total": 1}
        for name, change in (("points beyond int64", {"points_cost": 2 ** 63}),
                             ("a limit per member of a trillion", {"limit_per_member": 10 ** 12}),
                             ("a tier the club lacks", {"min_tier": "platinum"})):
            refused[name] = await rel.post(f"/merchants/{merchant}/offers", json={**offer, **change})
        refused["the year 9999"] = await rel.post("/activities", json={
            "title": "跨年", "starts_at": "9999-12-31T23:30:00+00:00", "capacity": 5, "duration_minutes": 60 * 24})
        assert {k: r.status_code for k, r in refused.items()} == {k: 422 for k in refused}, \
            {k: r.text[:200] for k, r in refused.items() if r.status_code != 422}
        assert all(r.json()["code"] == "validation_error" and r.json()["errors"] for r in refused.values())

        # the longest of each that the schema allows works: the member, a referral that tiers up (1000 points)
        longest = await rel.post("/members", json={"customer_id": "C" * 64, "name": "赵", "phone": "138"})
        assert longest.status_code == 201, longest.text
        referred = await rel.post(f"/members/{mid}/referrals",
                                  json={"buyer_name": "李" * 200, "contract_ref": "H" * 64})
        assert referred.status_code == 201, referred.text
        assert (await rel.get(f"/members/{mid}")).json()["tier"] == "silver"
