"""POST /calls on real servers: a call posted over HTTP is the call.received an adapter would publish, accepted
once per event_id or external_ref, refused with the field named when it breaks the contract."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime, timezone

import pytest
from kefu_contracts import CallReceived, Topics

from support import auth
from support.kafka_io import read_all
from support.waiting import eventually

pytestmark = pytest.mark.e2e


def a_call(**overrides) -> dict:
    body = {"occurred_at": datetime.now(timezone.utc).isoformat(), "channel": "hotline",
            "caller": {"name": "吴女士", "phone": "13900005555"},
            "property": {"project": "滨江花园", "building": "5幢", "unit": "1201"},
            "kind": "repair", "body": "阳台推拉门关不严，漏风"}
    body.update(overrides)
    return body


async def on_topic(infra, namespace: str) -> list:
    return await read_all(infra, Topics(namespace)("call.received"), 1500)


async def test_a_posted_call_is_the_contract_event_and_intake_records_it(services, mongo, namespace, infra):
    (intake,) = services("intake")
    posted = a_call(external_ref=f"desk-{uuid.uuid4().hex[:8]}")
    async with auth.client(intake.url, "agent") as agent:
        reply = await agent.post("/calls", json=posted)
    assert reply.status_code == 202, reply.text
    event_id = reply.json()["event_id"]
    assert event_id and set(reply.json()) == {"event_id"}

    (message,) = await on_topic(infra, namespace)  # acked before the 202: it is there already
    published = CallReceived.model_validate_json(message.value)
    # the body as posted, with the id intake assigned and the agent who took the call as its recorder
    assert published == CallReceived.model_validate({**posted, "event_id": event_id, "agent_id": "agent"})
    assert message.key == published.kafka_key().encode() == b"13900005555"  # the adapters' key: the caller

    db = mongo[f"{namespace}_kefu_intake"]
    contact = await eventually(lambda: db.contacts.find_one({"_id": event_id}), lambda c: c is not None,
                               what="intake records the posted call")
    assert (contact["channel"], contact["body"], contact["agent_id"]) == ("hotline", posted["body"], "agent")
    assert contact["external_ref"] == posted["external_ref"]
    opened = await eventually(lambda: read_all(infra, Topics(namespace)("case.opened"), 1000),
                              lambda m: len(m) == 1, what="the case opened for it")
    case = json.loads(opened[0].value)
    assert (case["contact_id"], case["case_id"], case["customer_id"]) == (
        event_id, contact["case_id"], contact["customer_id"])


async def test_the_same_event_id_or_external_ref_is_published_once(services, namespace, infra):
    (intake,) = services("intake")
    by_id = a_call(event_id=f"call-{uuid.uuid4()}", channel="wechat")
    by_ref = a_call(external_ref="mail-2026-000123", channel="email", caller={"email": "wu@example.com"})
    async with auth.client(intake.url, "adapter") as adapter:
        first = [await adapter.post("/calls", json=by_id) for _ in range(2)]
        assert [r.status_code for r in first] == [202, 202]
        assert [r.json()["event_id"] for r in first] == [by_id["event_id"]] * 2
        again = [await adapter.post("/calls", json=by_ref) for _ in range(2)]
        assert [r.status_code for r in again] == [202, 202]
        ref_event = again[0].json()["event_id"]
        assert again[1].json()["event_id"] == ref_event != by_id["event_id"]
        # a retry that adds the id intake assigned is the same call too
        named = await adapter.post("/calls", json={**by_ref, "event_id": ref_event})
        assert (named.status_code, named.json()["event_id"]) == (202, ref_event)
        # two requests at once: still one event
        racing = a_call(event_id=f"call-{uuid.uuid4()}")
        raced = await asyncio.gather(*(adapter.post("/calls", json=racing) for _ in range(4)))
        assert {r.status_code for r in raced} == {202}
        assert {r.json()["event_id"] for r in raced} == {racing["event_id"]}

        # the same key with another body is another call under a used key: refused, nothing published
        changed = await adapter.post("/calls", json={**by_id, "body": "另一件事"})
        assert changed.status_code == 409 and by_id["event_id"] in changed.json()["detail"]
        assert changed.json()["code"] == "conflict"
        reused = await adapter.post("/calls", json={**by_ref, "body": "另一封信"})
        assert reused.status_code == 409 and "mail-2026-000123" in reused.json()["detail"]
        # the same external_ref from another channel is another call
        elsewhere = await adapter.post("/calls", json={**by_ref, "channel": "web"})
        assert elsewhere.status_code == 202 and elsewhere.json()["event_id"] != ref_event


    ids = [json.loads(m.value)["event_id"] for m in await on_topic(infra, namespace)]
    assert sorted(ids) == sorted([by_id["event_id"], ref_event, racing["event_id"], elsewhere.json()["event_id"]])


async def test_an_invalid_call_is_refused_with_the_field_named(services, namespace, infra):
    (intake,) = services("intake")
    async with auth.client(intake.url, "agent") as agent:
        for body, field in ((a_call(body=""), ["body", "body"]),
                            (a_call(channel="fax"), ["body", "channel"]),
                            (a_call(caller={"name": "无名"}), ["body", "caller"]),
                            (a_call(caller={"phone": "abc"}), ["body", "caller"]),  # no usable phone
                            (a_call(occurred_at="2026-11-01T09:00:00"), ["body", "occurred_at"])):  # no offset
            reply = await agent.post("/calls", json=body)
            assert reply.status_code == 422, (body, reply.text)
            assert reply.json()["code"] == "validation_error"
            assert any(e["loc"][:2] == field for e in reply.json()["errors"]), reply.json()
    assert await on_topic(infra, namespace) == []
