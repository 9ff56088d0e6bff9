"""Intake consuming in batches, on real servers: a SIGKILL mid-batch loses and doubles nothing;
a bad record in the middle of a batch is dead-lettered and the rest of the batch is handled."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from datetime import datetime, timedelta, timezone

import pytest
from kefu_contracts import Topics
from kefu_kit import ensure_topics

from support.kafka_io import call_payload, read_all, send_json
from support.lag import lag
from support.waiting import eventually

pytestmark = pytest.mark.e2e


async def events_by_call(infra, ns: str) -> dict[str, list[tuple[str, str, bytes]]]:
    """call event id -> [(topic, event id, value)] of every case.opened / case.followed_up record on the topics."""
    out: dict[str, list[tuple[str, str, bytes]]] = defaultdict(list)
    for name in ("case.opened", "case.followed_up"):
        for record in await read_all(infra, Topics(ns)(name), 2000):
            event = json.loads(record.value)
            out[event["causation_id"]].append((name, event["event_id"], record.value))
    return out


@pytest.mark.timeout(600)
async def test_sigkill_in_the_middle_of_a_batch_leaves_one_contact_and_one_event_per_call(
    services, producer, mongo, namespace, infra
):
    # small batches, so the kill lands while a batch is between its reads, writes and publishes
    (intake_proc,) = services("intake", KEFU_BATCH_MAX_RECORDS="100")
    topic = Topics(namespace)("call.received")
    start = datetime.now(timezone.utc)
    calls = []
    for i in range(600):  # 600 callers, two calls each: the second about the same leak, an hour later
        first = call_payload(i, occurred_at=start.isoformat())
        again = call_payload(i, occurred_at=(start + timedelta(hours=1)).isoformat())
        calls += [first, again]

    async def publish_paced() -> None:
        """All first calls, then all second ones, at about 50 calls/s: intake handles ~500 calls/s, so calls
        published at once would all be handled before a kill lands; paced, every kill falls mid-stream, in
        the burst of batches a restarted intake works through."""
        for n, c in enumerate(sorted(calls, key=lambda c: c["occurred_at"])):
            await producer.send(topic, json.dumps(c, ensure_ascii=False).encode(), key=c["caller"]["phone"].encode())
            if n % 10 == 9:
                await asyncio.sleep(0.2)
        await producer.flush()

    publishing = asyncio.create_task(publish_paced())
    contacts = mongo[f"{namespace}_kefu_intake"].contacts

    # killed three times at different points of the stream: each kill lands somewhere in a batch's
    # reads, bulk writes, publishes or commit, and the restart redoes the uncommitted batch
    for at_least in (150, 450, 800):
        await eventually(lambda: contacts.count_documents({}), lambda n: n >= at_least, timeout=120, interval=0.05,
                         what=f"{at_least} contacts")
        intake_proc.kill()
        assert await contacts.count_documents({}) < len(calls), "the kill came too late to test anything"
        intake_proc.start()
    await publishing

    await eventually(lambda: contacts.count_documents({}), lambda n: n >= len(calls), timeout=300, interval=1.0,
                     what=f"{len(calls)} contacts")
    await eventually(lambda: lag(infra.kafka_bootstrap, f"{namespace}.kefu-intake", topic), lambda n: n == 0,
                     timeout=120, what="intake caught up")
    await asyncio.sleep(1)
    stored = {c["_id"]: c for c in await contacts.find().to_list()}
    assert set(stored) == {c["event_id"] for c in calls}, "every call recorded once, nothing lost"
    assert await mongo[f"{namespace}_kefu_intake"].customers.count_documents({}) == 600

    published = await events_by_call(infra, namespace)
    for c in calls:
        records = published[c["event_id"]]
        assert records, f"no event for {c['event_id']}"
        assert len({event_id for _, event_id, _ in records}) == 1, f"two different events for one call: {records}"
        assert len({value for _, _, value in records}) == 1, "a republished event differs from the first"
        contact = stored[c["event_id"]]
        assert records[0][0] == ("case.followed_up" if contact["follow_up"] else "case.opened")
    # decided as one after the other, whatever the kill interrupted: each second call follows up the first
    by_phone = defaultdict(list)
    for c in calls:
        by_phone[c["caller"]["phone"]].append(stored[c["event_id"]])
    for first, again in by_phone.values():
        assert first["follow_up"] is False and again["follow_up"] is True
        assert again["case_id"] == first["case_id"]


async def test_a_bad_record_in_the_middle_of_a_batch_is_dead_lettered_and_the_rest_handled(
    services, producer, mongo, namespace, infra
):
    topics = Topics(namespace)
    await ensure_topics(infra.kafka_bootstrap, topics.all_physical())
    topic = topics("call.received")
    start = datetime.now(timezone.utc)
    caller, prop = {"name": "张三", "phone": "13900000001"}, {"project": "滨江花园", "building": "3幢", "unit": "1202"}
    good = [call_payload(i, caller=caller, property=prop, occurred_at=(start + timedelta(minutes=i)).isoformat())
            for i in range(10)]
    unidentifiable = call_payload(50, caller={"name": "无号码", "phone": "1-2-3"})  # valid contract, no usable phone
    bad_contract = call_payload(51, channel="fax")
    # one key, one partition, published before intake starts: all of it arrives as one batch, in this order
    for payload in (*good[:5], b"{not json", bad_contract, unidentifiable, *good[5:]):
        await send_json(producer, topic, payload, key="one-caller")
    services("intake")

    contacts = mongo[f"{namespace}_kefu_intake"].contacts
    await eventually(lambda: contacts.count_documents({}), lambda n: n >= 10, what="10 contacts")
    dead = await eventually(lambda: read_all(infra, topic + ".dlq", 1000), lambda m: len(m) >= 3, what="3 DLQ msgs")
    await eventually(lambda: lag(infra.kafka_bootstrap, f"{namespace}.kefu-intake", topic), lambda n: n == 0,
                     what="the batch committed")
    assert len(dead) == 3
    headers = {m.value: {k: v.decode() for k, v in m.headers} for m in dead}
    assert headers[b"{not json"]["kefu-dlq-error"].startswith("not valid JSON")
    fax = headers[json.dumps(bad_contract, ensure_ascii=False).encode()]
    assert fax["kefu-dlq-reason"] == "contract" and fax["kefu-dlq-error"].startswith("contract violation: channel")
    nobody = headers[json.dumps(unidentifiable, ensure_ascii=False).encode()]
    assert nobody["kefu-dlq-reason"] == "contract" and nobody["kefu-dlq-error-type"] == "BadMessage"
    assert "phone" in nobody["kefu-dlq-error"]
    assert all(h["kefu-dlq-original-topic"] == topic for h in headers.values())
    assert {c["_id"] for c in await contacts.find().to_list()} == {g["event_id"] for g in good}
    published = await events_by_call(infra, namespace)
    assert set(published) == {g["event_id"] for g in good}
    # one caller, the same leak, within the window: the first opens the case, the other nine follow it up
    kinds = [published[g["event_id"]][0][0] for g in good]
    assert kinds == ["case.opened"] + ["case.followed_up"] * 9
