"""The walking skeleton on real servers: a contact travels channel → intake → routing → notifications.

Each service runs as its own process with its own database and consumer group.
"""

from __future__ import annotations

import asyncio
import json
import signal

import pytest
from kefu_contracts import Topics

from support.kafka_io import call_payload, read_all, send_json
from support.lag import lag, published
from support.waiting import eventually

pytestmark = pytest.mark.e2e

CHAIN = ("intake", "routing", "notifications")

BODIES = [
    ("卫生间天花板漏水，麻烦派人来看看", "engineering"),
    ("请问房产证什么时候能办下来？", "title_certificates"),
    ("物业保安态度很差，我要投诉", "property"),
    ("按揭贷款的材料还需要补什么？", "finance"),
    ("感谢维修师傅，服务很周到", "customer_service"),
]


def dbs(mongo, ns: str):
    return mongo[f"{ns}_kefu_intake"], mongo[f"{ns}_kefu_routing"], mongo[f"{ns}_kefu_notifications"]


async def test_a_batch_of_calls_becomes_contacts_cases_and_notifications(services, producer, mongo, namespace, infra):
    services(*CHAIN, "surveys", "membership")
    topics = Topics(namespace)
    sent = []
    for i in range(60):
        body, _ = BODIES[i % len(BODIES)]
        payload = call_payload(i, body=body, channel=["hotline", "wechat", "email", "app"][i % 4])
        sent.append(payload)
        await send_json(producer, topics("call.received"), payload, key=payload["caller"]["phone"])

    intake, routing, notes = dbs(mongo, namespace)
    await eventually(lambda: notes.notifications.count_documents({}), lambda n: n >= 60, what="60 notifications")

    for i, payload in enumerate(sent):
        contact = await intake.contacts.find_one({"_id": payload["event_id"]})
        assert contact is not None, f"call {i} was not recorded"
        case = await routing.cases.find_one({"_id": contact["case_id"]})
        assert case is not None and case["correlation_id"] == payload["event_id"]
        assert case["department"] == BODIES[i % len(BODIES)][1], case["body"]
        note = await notes.notifications.find_one({"case_id": case["_id"]})
        assert note["recipient"] == f"department:{case['department']}"
        assert note["correlation_id"] == payload["event_id"]
    # one customer per distinct phone, however many contacts
    assert await intake.customers.count_documents({}) == 60
    from e2e.test_case_pipeline import no_dead_letters

    await no_dead_letters(infra, namespace)


async def test_malformed_calls_go_to_the_dead_letter_topic_and_the_next_call_flows(
    services, producer, mongo, namespace, infra
):
    (intake_proc,) = services("intake")
    topic = Topics(namespace)("call.received")
    good = call_payload(1)
    bad_contract = call_payload(2, channel="fax", caller={"name": "无联系方式"})
    # all on one key, so one partition: the good call comes after both bad ones
    await send_json(producer, topic, b"{this is not json", key="same-caller")
    await send_json(producer, topic, bad_contract, key="same-caller")
    await send_json(producer, topic, good, key="same-caller")

    contacts = mongo[f"{namespace}_kefu_intake"].contacts
    await eventually(lambda: contacts.find_one({"_id": good["event_id"]}), lambda d: d is not None, what="good call")

    dead = await eventually(lambda: read_all(infra, topic + ".dlq", 1000), lambda m: len(m) >= 2, what="2 DLQ msgs")
    assert len(dead) == 2
    by_value = {m.value: {k: v.decode() for k, v in m.headers} for m in dead}
    not_json = by_value[b"{this is not json"]
    assert not_json["kefu-dlq-error"].startswith("not valid JSON")
    assert not_json["kefu-dlq-reason"] == "contract"
    assert not_json["kefu-dlq-original-topic"] == topic
    assert not_json["kefu-dlq-failed-at"]
    violation = by_value[json.dumps(bad_contract, ensure_ascii=False).encode()]
    assert "channel" in violation["kefu-dlq-error"] and "caller" in violation["kefu-dlq-error"]
    assert all(m.key == b"same-caller" for m in dead)
    assert await contacts.count_documents({}) == 1
    # the partition is not blocked: everything was consumed and committed
    await eventually(lambda: lag(infra.kafka_bootstrap, f"{namespace}.kefu-intake", topic), lambda n: n == 0,
                     what="intake lag 0")


async def test_redelivered_events_create_nothing_twice(services, producer, mongo, namespace, infra):
    services(*CHAIN)
    topics = Topics(namespace)
    calls = [call_payload(i) for i in range(20)]
    for c in calls:
        await send_json(producer, topics("call.received"), c, key=c["caller"]["phone"])
    intake, routing, notes = dbs(mongo, namespace)
    await eventually(lambda: notes.notifications.count_documents({}), lambda n: n == 20, what="20 notifications")

    # the channel sends every call again, and every case.opened is delivered again
    for c in calls:
        await send_json(producer, topics("call.received"), c, key=c["caller"]["phone"])
    for record in await read_all(infra, topics("case.opened"), 1000):
        await producer.send_and_wait(topics("case.opened"), record.value, key=record.key)
    for name, topic in (("intake", "call.received"), ("routing", "case.opened"), ("notifications", "case.assigned")):
        await eventually(lambda: lag(infra.kafka_bootstrap, f"{namespace}.kefu-{name}", topics(topic)),
                         lambda n: n == 0, what=f"{name} caught up")
    await asyncio.sleep(1)
    assert await intake.contacts.count_documents({}) == 20
    assert await intake.customers.count_documents({}) == 20
    assert await routing.cases.count_documents({}) == 20
    assert await notes.notifications.count_documents({}) == 20
    # the redelivered calls were republished downstream with the same derived ids (no new ids)
    opened = await read_all(infra, topics("case.opened"), 1000)
    assert len({json.loads(r.value)["event_id"] for r in opened}) == 20


@pytest.mark.timeout(1500)
async def test_sigkill_mid_stream_leaves_exactly_one_case_and_notification_per_call(
    services, producer, mongo, namespace, infra
):
    intake_proc, routing_proc, notes_proc = services(*CHAIN)
    topics = Topics(namespace)
    calls = [call_payload(i) for i in range(1000)]
    for c in calls:
        await producer.send(topics("call.received"), json.dumps(c, ensure_ascii=False).encode(),
                            key=c["caller"]["phone"].encode())
    await producer.flush()
    intake, routing, notes = dbs(mongo, namespace)

    # Intake is killed once it has published 250 cases, not once it has recorded 250 contacts: it records a
    # whole batch (up to 500) before it publishes it, so a kill right after a big batch's write leaves routing
    # with only the batches before it, and 150 cases could never be reached before the restart.
    await eventually(lambda: published(infra.kafka_bootstrap, topics("case.opened")), lambda n: n >= 250,
                     timeout=120, what="250 case.opened published")
    intake_proc.kill()
    await eventually(lambda: routing.cases.count_documents({}), lambda n: n >= 150, timeout=120, what="150 cases")
    routing_proc.kill()
    notes_proc.kill()
    before = await intake.contacts.count_documents({})
    assert before < 1000, "the kill came too late to test anything"
    intake_proc.start()
    routing_proc.start()
    notes_proc.start()

    # generous: on FerretDB every lookup scans, and 1000 leak reports in nine buildings form group complaints
    await eventually(lambda: notes.notifications.count_documents({}), lambda n: n >= 1000, timeout=1200,
                     interval=2.0, what="1000 notifications")
    await asyncio.sleep(2)
    assert await intake.contacts.count_documents({}) == 1000
    assert await routing.cases.count_documents({}) == 1000
    assert await notes.notifications.count_documents({}) == 1000
    case_ids = await routing.cases.distinct("_id")
    noted = await notes.notifications.distinct("case_id")
    assert set(case_ids) == set(noted)
    assert {c["event_id"] for c in calls} == set(await intake.contacts.distinct("_id"))


async def test_sigterm_finishes_in_flight_work_and_commits_it(services, producer, mongo, namespace, infra):
    (intake_proc,) = services("intake")
    topic = Topics(namespace)("call.received")
    for i in range(400):
        c = call_payload(i)
        await producer.send(topic, json.dumps(c).encode(), key=c["caller"]["phone"].encode())
    await producer.flush()
    contacts = mongo[f"{namespace}_kefu_intake"].contacts
    await eventually(lambda: contacts.count_documents({}), lambda n: n >= 50, what="50 contacts")

    # uvicorn re-raises SIGTERM after its graceful shutdown, so the exit status is "killed by SIGTERM"
    assert intake_proc.stop(timeout=30) in (0, -signal.SIGTERM)
    assert "service stopped" in intake_proc.tail(200)
    from support.lag import committed_and_end

    committed, _ = await committed_and_end(infra.kafka_bootstrap, f"{namespace}.kefu-intake", topic)
    # every message recorded before the stop was committed: a restart redoes nothing
    assert sum(committed.values()) == await contacts.count_documents({})
