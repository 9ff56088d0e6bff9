"""Two real intake instances racing on the same callers end with one customer per person.

Each person's calls are published in one burst to four different partitions (explicit partitions, and each call
keyed by its own caller fields, as channel adapters do), so the two instances of the consumer group (three
partitions each) decide calls of one new caller at the same time, with different key sets: phone alone, the
phone in another format, phone + email, customer id + phone, email alone, customer id alone. A person whose
calls all share a key must end as one customer: one customer document, every identity key naming it, every
call recorded once and every case event naming it. People whose calls share no key until a later one (phone
alone, email alone, then both) are the limit of linking without merging: they must end as some order of their
calls would, never with a key split or a customer left behind by a racer that lost.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from datetime import datetime, timezone

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from kefu_contracts import Caller, Topics
from kefu_intake.domain.identity import identify
from prometheus_client.parser import text_string_to_metric_families

from support.kafka_io import call_payload, read_all
from support.lag import lag
from support.waiting import eventually

pytestmark = pytest.mark.e2e
PEOPLE, UNLINKED = 210, 45  # people whose calls share a key; people with phone alone, email alone, then both
PARTITIONS = 6


def phone(i: int) -> str:
    return f"138{i:08d}"


def formats(i: int) -> list[str]:
    p = phone(i)
    return [p, f"+86 {p[:3]}-{p[3:7]}-{p[7:]}", f"0086 {p[:3]} {p[3:7]} {p[7:]}", f"86{p}"]


def email(i: int) -> str:
    return f"owner{i}@example.com"


def callers(i: int) -> list[dict[str, str]]:
    """Four calls of person ``i``, sharing one key (phone, email or customer id by ``i % 3``), in every format."""
    cid, ph, mail = f"C{i:06d}", formats(i), email(i)
    if i % 3 == 0:  # the phone in every call
        return [{"phone": ph[0]}, {"phone": ph[1]}, {"phone": ph[2], "email": mail}, {"customer_id": cid, "phone": ph[3]}]
    if i % 3 == 1:  # the email in every call
        return [{"email": mail}, {"email": mail.upper()}, {"phone": ph[1], "email": mail}, {"customer_id": cid, "email": mail}]
    return [{"customer_id": cid, "phone": ph[0]}, {"customer_id": cid, "email": mail},  # the customer id in every call
            {"customer_id": cid, "phone": ph[2], "email": mail}, {"customer_id": cid}]


def unlinked(i: int) -> list[dict[str, str]]:
    return [{"phone": formats(i)[1]}, {"email": email(i)}, {"phone": phone(i), "email": email(i).upper()}]


async def group_members(bootstrap: str, group: str, topic: str) -> int:
    """Members of a stable group subscribed to ``topic`` (an instance has one consumer per subscription)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (response,) = await admin.describe_consumer_groups([group])
        (described,) = response.groups
        _error, _group, state, _protocol_type, _protocol, members = described[:6]
        return sum(topic.encode() in bytes(m[3]) for m in members) if state == "Stable" else 0
    finally:
        await admin.close()


async def handled_by(url: str, topic: str) -> tuple[float, float]:
    """(records handled, transient retries) of one instance, from its /metrics."""
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        text = (await client.get("/metrics")).text
    records = retries = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.labels.get("topic") != topic:
                continue
            if sample.name == "kefu_batch_records_sum":
                records += sample.value
            elif sample.name == "kefu_transient_retries_total":
                retries += sample.value
    return records, retries


@pytest.mark.timeout(600)
@pytest.mark.parametrize("batch_max_records", ["500", "20"], ids=["large-batches", "small-batches"])
async def test_two_instances_racing_on_the_same_callers_end_with_one_customer_per_person(
    services, producer, mongo, namespace, infra, batch_max_records
):
    """Small batches interleave more: many more batches of each instance overlap in time."""
    group, topic = f"{namespace}.kefu-intake", Topics(namespace)("call.received")
    instances = services("intake", "intake", KEFU_BATCH_MAX_RECORDS=batch_max_records)
    await eventually(lambda: group_members(infra.kafka_bootstrap, group, topic), lambda n: n == 2, timeout=60,
                     what="both instances in the group")

    start = datetime.now(timezone.utc)
    calls, person_of = [], {}
    for person, its_callers in [*((("linked", i), callers(i)) for i in range(PEOPLE)),
                                *((("unlinked", i), unlinked(PEOPLE + i)) for i in range(UNLINKED))]:
        i = person[1] if person[0] == "linked" else PEOPLE + person[1]
        prop = {"project": "滨江花园", "building": f"{i % 9 + 1}幢", "unit": f"{i % 30 + 1:02d}01"}
        for j, caller in enumerate(its_callers):
            payload = call_payload(i, caller={"name": f"业主{i}", **caller}, property=prop,
                                   occurred_at=start.isoformat())
            # four different partitions, alternating between the halves and the parities (range or round
            # robin assignment: consecutive calls of a person go to different instances)
            partition = (i + 3 * j + j // 2) % PARTITIONS
            calls.append((payload, partition))
            person_of[payload["event_id"]] = person
    sends = [await producer.send(topic, json.dumps(p, ensure_ascii=False).encode(), partition=partition,
                                 key="|".join(sorted(p["caller"].values())).encode()) for p, partition in calls]
    await asyncio.gather(*sends)

    db = mongo[f"{namespace}_kefu_intake"]
    await eventually(lambda: db.contacts.count_documents({}), lambda n: n >= len(calls), timeout=300, interval=0.5,
                     what=f"{len(calls)} contacts")
    await eventually(lambda: lag(infra.kafka_bootstrap, group, topic), lambda n: n == 0, timeout=120,
                     what="both instances caught up")

    contacts = {c["_id"]: c for c in await db.contacts.find().to_list()}
    assert set(contacts) == {p["event_id"] for p, _ in calls} and len(contacts) == len(calls), "every call once"
    owners = {d["_id"]: d["customer_id"] for d in await db.customer_keys.find().to_list()}
    customer_docs = {d["_id"] for d in await db.customers.find().to_list()}
    claimed = {d["_id"] for d in await db.customer_key_claims.find().to_list()}
    assert claimed <= set(owners), "a key left claimed and never linked"

    by_person: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for payload, _ in calls:
        by_person[person_of[payload["event_id"]]].append(payload)
    duplicates, named = [], set()
    for person, payloads in by_person.items():
        keys = {k for p in payloads for k in identify(Caller(**p["caller"])).keys}
        assert keys <= set(owners), f"{person}: an identity key was never linked"
        mine = [contacts[p["event_id"]] for p in payloads]
        for p, contact in zip(payloads, mine, strict=True):  # as some order of the calls would decide it
            strongest = identify(Caller(**p["caller"])).keys[0]
            assert contact["customer_id"] == owners[strongest], f"{person}: a call went to another customer"
        customers = {owners[k] for k in keys}
        named |= customers
        if person[0] == "linked" and len(customers) != 1:
            duplicates.append((person, sorted(customers)))
        if person[0] == "unlinked":
            assert len(customers) in (1, 2)
            ph, em = (contacts[p["event_id"]]["customer_id"] for p in payloads[:2])
            assert contacts[payloads[2]["event_id"]]["customer_id"] == ph, "phone + email: the phone's customer"
    assert duplicates == [], f"{len(duplicates)} people with more than one customer: {duplicates[:5]}"
    assert customer_docs == named == set(owners.values()), "a customer no key names, or a key naming no customer"

    # every case event names the contact's customer. One person, one leak, one instant: one case and three
    # follow-ups in whatever order the instances took the calls (a call older than the problem's last contact
    # opens a new case by problems.is_follow_up, so the calls share their time: the order of arrival is free)
    published: dict[str, list[dict]] = defaultdict(list)
    for name in ("case.opened", "case.followed_up"):
        for record in await read_all(infra, Topics(namespace)(name), 3000):
            event = json.loads(record.value)
            published[event["causation_id"]].append({**event, "type": name})
    for person, payloads in by_person.items():
        events = [published[p["event_id"]] for p in payloads]
        assert all(e and len({x["event_id"] for x in e}) == 1 for e in events), f"{person}: not one event per call"
        firsts = [e[0] for e in events]
        assert [x["customer_id"] for x in firsts] == [contacts[p["event_id"]]["customer_id"] for p in payloads]
        if person[0] == "linked":
            assert len({x["customer_id"] for x in firsts}) == 1
            assert sorted(x["type"] for x in firsts) == ["case.followed_up"] * 3 + ["case.opened"], person
            assert len({x["case_id"] for x in firsts}) == 1, f"{person}: the follow-ups name another case"

    handled = [await handled_by(p.url, topic) for p in instances]
    print(f"\ncalls={len(calls)} people={PEOPLE}+{UNLINKED} instances=2 handled={handled} "
          f"customers={len(customer_docs)} duplicates={len(duplicates)} "
          f"unlinked_as_two={sum(1 for p, ps in by_person.items() if p[0] == 'unlinked' and len({contacts[x['event_id']]['customer_id'] for x in ps}) == 2)}")
    assert all(records > 0 for records, _ in handled), f"one instance did no work: {handled}"
