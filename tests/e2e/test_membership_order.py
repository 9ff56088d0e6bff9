"""Membership gives the same result whatever order an owner's handover and survey answer arrive in.

``survey.answered`` and ``property.handed_over`` are separate topics: an answer can be consumed before
the handover that makes its owner a member. Delivered so, it earned nothing and changed no tier; now it
waits (parked) and earns when the owner joins, once, as in order.
"""

from __future__ import annotations

import json

import pytest
from kefu_contracts import Topics
from kefu_kit import ensure_topics
from kefu_membership.domain.members import member_id_for

from e2e.test_case_pipeline import no_dead_letters
from e2e.test_membership import answered, handover, send
from support.kafka_io import read_all
from support.waiting import eventually

pytestmark = pytest.mark.e2e


async def test_an_answer_before_the_handover_earns_and_tiers_up_once_as_in_order(
    services, producer, mongo, namespace, infra, tmp_path
):
    points = tmp_path / "points.toml"
    points.write_text('expiry_months = 24\n[earn]\nevent_checkin = 100\nreferral = 1000\n'
                      '[earn.survey]\ndefault = 3000\n', encoding="utf-8")
    await ensure_topics(infra.kafka_bootstrap, Topics(namespace).all_physical())
    db = mongo[f"{namespace}_kefu_membership"]
    services("membership", KEFU_POINTS_FILE=str(points))

    # in order: the handover (the owner joins), then the answer
    await send(producer, namespace, "property.handed_over", handover("C-order", "0802"))
    await eventually(lambda: db.members.find_one({"customer_id": "C-order"}), lambda m: m is not None,
                     what="the in-order member")
    await send(producer, namespace, "survey.answered", answered("C-order"))

    # the answer first (and redelivered): it waits, parked once, then the handover comes
    early = answered("C-early")
    for _ in range(2):
        await send(producer, namespace, "survey.answered", early)
    parked = await eventually(lambda: db.parked_answers.find().to_list(), lambda d: len(d) == 1,
                              what="the early answer parked")
    assert parked[0]["_id"] == early.event_id and parked[0]["member_id"] == member_id_for("C-early")
    assert await db.members.find_one({"customer_id": "C-early"}) is None
    await send(producer, namespace, "property.handed_over", handover("C-early", "0801"))

    members = {}
    for customer in ("C-order", "C-early"):
        members[customer] = await eventually(lambda: db.members.find_one({"customer_id": customer}),
                                             lambda m: m is not None and m["tier"] == "silver",
                                             what=f"{customer} silver after 3000 points")
    assert await db.parked_answers.count_documents({}) == 0, "the early answer left the parking"
    for customer, member in members.items():
        ledger = await db.points.find({"member_id": member["_id"]}).to_list()
        assert [(e["points"], e["rule"]) for e in ledger] == [(3000, "survey")], customer
        assert member["points"] == 3000
    assert [e["source"] for e in await db.points.find({"member_id": member_id_for("C-early")}).to_list()] == \
        [early.event_id]

    changed = [json.loads(m.value) for m in await read_all(infra, Topics(namespace)("member.tier_changed"), 1000)]
    per_member = {c: sorted({(e["event_id"], e["previous_tier"], e["tier"]) for e in changed
                             if e["customer_id"] == c}) for c in members}
    assert [t[1:] for t in per_member["C-early"]] == [t[1:] for t in per_member["C-order"]] == \
        [("regular", "silver")], per_member
    early_change = next(e for e in changed if e["customer_id"] == "C-early")
    assert early_change["causation_id"] == early.event_id
    joined = [json.loads(m.value) for m in await read_all(infra, Topics(namespace)("member.joined"), 1000)]
    assert sorted(e["customer_id"] for e in joined) == ["C-early", "C-order"]
    await no_dead_letters(infra, namespace)
