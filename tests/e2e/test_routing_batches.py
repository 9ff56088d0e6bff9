"""Routing consuming in batches, on real servers: SIGKILLs in the middle of a burst of new cases and
follow-ups lose nothing, assign every case once, and apply every follow-up once, in its case's order."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone

import pytest
from kefu_contracts import CaseFollowedUp, CaseOpened, Topics, dlq_name
from kefu_kit import ensure_topics

from support.kafka_io import read_all
from support.lag import lag
from support.waiting import eventually

pytestmark = pytest.mark.e2e

KINDS = ("repair", "inquiry", "complaint", "inquiry", "suggestion")


def opened(i: int, at: datetime) -> CaseOpened:
    kind = KINDS[i % len(KINDS)]
    shared = i % 10 == 0  # half the repairs are of the shared exterior wall, half each owner's own kitchen tap
    return CaseOpened(
        event_id=f"opened-{uuid.uuid4()}", occurred_at=at, correlation_id=f"call-{uuid.uuid4()}",
        causation_id=f"call-{i}", case_id=f"case-{i:04d}-{uuid.uuid4().hex[:8]}", contact_id=f"call-{i}",
        customer_id=f"cust-{i}", channel="hotline", kind=kind, classified_by="rules",
        category=("leak" if shared else "plumbing") if kind == "repair" else None,
        # repairs of 12 buildings: every building gets several exterior-wall leaks, so group complaints form
        # mid-burst, and several in-unit tap repairs, so batch-defect signals do too
        project="滨江花园", building=f"{i % 12 + 1}幢", unit=f"{i % 30 + 1:02d}01",
        body={"repair": "外墙渗水，卫生间墙面都湿了" if shared else "厨房水龙头漏水",
              "complaint": "保安态度很差，我要投诉"}.get(kind, "请问物业费怎么交？"),
    )


def followed_up(case: CaseOpened, n: int, at: datetime) -> CaseFollowedUp:
    return CaseFollowedUp(
        event_id=f"followup-{uuid.uuid4()}", occurred_at=at, correlation_id=case.correlation_id,
        causation_id=f"call-f{n}", case_id=case.case_id, contact_id=f"call-f{n}-{uuid.uuid4().hex[:6]}",
        customer_id=case.customer_id, channel="wechat", kind="complaint", body="还没人来处理，投诉",
    )


async def send(producer, topic: str, events) -> None:
    futures = [await producer.send(topic, e.to_json_bytes(), key=e.kafka_key().encode()) for e in events]
    await asyncio.gather(*futures)


@pytest.mark.timeout(900)
async def test_sigkill_in_the_middle_of_a_burst_assigns_every_case_once_and_applies_every_follow_up_once(
    services, producer, mongo, namespace, infra
):
    topics = Topics(namespace)
    await ensure_topics(infra.kafka_bootstrap, topics.all_physical())
    # small batches, so each kill lands while batches are between their reads, claims, publishes and commit
    (routing,) = services("routing", KEFU_BATCH_MAX_RECORDS="40")
    db = mongo[f"{namespace}_kefu_routing"]
    start = datetime.now(timezone.utc) - timedelta(hours=1)
    # enough that both kills land before the burst is stored: routing opens a batch of cases in a few bulk
    # commands now, and 1,000 were all stored before the second kill
    cases = [opened(i, start + timedelta(seconds=i)) for i in range(3000)]
    early, late = cases[:100], cases[100:]

    # the first cases exist before their follow-ups are sent (as intake does: a follow-up is about a case it opened)
    await send(producer, topics("case.opened"), early)
    await eventually(lambda: db.cases.count_documents({}), lambda n: n >= len(early), timeout=120,
                     what="the first 100 cases")
    # two follow-ups for each of the first 80 cases (one after the other, so their order matters), in the
    # middle of 2,900 more new cases
    ups = {c.case_id: [followed_up(c, 2 * i, start + timedelta(minutes=30)),
                       followed_up(c, 2 * i + 1, start + timedelta(minutes=31))] for i, c in enumerate(early[:80])}
    await asyncio.gather(send(producer, topics("case.opened"), late),
                         send(producer, topics("case.followed_up"), [u for pair in ups.values() for u in pair]))

    for at_least in (250, 550):  # the metadata count: count_documents({}) scans, too slow to poll with
        await eventually(lambda: db.cases.estimated_document_count(), lambda n: n >= at_least, timeout=180,
                         interval=0.05, what=f"{at_least} cases")
        routing.kill()
        assert await db.cases.count_documents({}) < len(cases), "the kill came too late to test anything"
        routing.start()

    group = f"{namespace}.kefu-routing"
    for name in ("case.opened", "case.followed_up"):
        await eventually(lambda: lag(infra.kafka_bootstrap, group, topics(name)), lambda n: n == 0, timeout=300,
                         interval=1.0, what=f"routing caught up on {name}")
    # events of changes interrupted by a kill are relayed from the outbox (entries older than 5 s, every 5 s)
    for outbox in (db.cases_outbox, db.groups_outbox, db.defect_signals_outbox):
        await eventually(lambda: outbox.count_documents({}), lambda n: n == 0, timeout=60, what="outbox drained")

    stored = {c["_id"]: c for c in await db.cases.find().to_list()}
    assert set(stored) == {c.case_id for c in cases}, "every case stored once, nothing lost"

    assigned: dict[str, list[dict]] = defaultdict(list)
    for record in await read_all(infra, topics("case.assigned"), 2000):
        event = json.loads(record.value)
        assert record.key.decode() == event["case_id"]
        assigned[event["case_id"]].append(event)
    assert set(assigned) == set(stored), "a case.assigned for every case"
    for case_id, copies in assigned.items():
        assert len({e["event_id"] for e in copies}) == 1, f"{case_id} assigned twice: {copies}"
        assert all(e == copies[0] for e in copies), f"a republished case.assigned of {case_id} differs"
        assert copies[0]["department"] == stored[case_id]["department"]
        assert copies[0]["assignee"] == stored[case_id]["assignee"]

    escalated: dict[str, list[dict]] = defaultdict(list)
    for record in await read_all(infra, topics("complaint.escalated"), 2000):
        event = json.loads(record.value)
        escalated[event["event_id"]].append(event)
    for copies in escalated.values():
        assert all(e == copies[0] for e in copies), "a republished complaint.escalated differs"
    by_cause = defaultdict(set)
    for event_id, copies in escalated.items():
        by_cause[(copies[0]["case_id"], copies[0]["causation_id"])].add(event_id)
    assert all(len(ids) == 1 for ids in by_cause.values()), "one escalation per case and cause"

    for case_id, pair in ups.items():
        case = stored[case_id]
        follow_ups = [t for t in case["timeline"] if t["type"] == "follow_up"]
        assert [t["contact_id"] for t in follow_ups] == [u.contact_id for u in pair], \
            f"{case_id}: follow-ups not applied once each, in order: {follow_ups}"
        for u in pair:
            assert case["applied"].count(u.event_id) == 1
            assert case["contacts"].count(u.contact_id) == 1
        # a complaint follow-up escalates its case (repeat complaint) unless at the top level: once each, in order
        causes = [e["cause"] for e in case["escalations"] if e["reason"] == "repeat_complaint"]
        assert causes == [u.event_id for u in pair if u.event_id in causes], f"{case_id}: {causes}"
    published_causes = {k for k in by_cause if k[1].startswith("followup-")}
    stored_causes = {(c["_id"], e["cause"]) for c in stored.values() for e in c["escalations"]
                     if e["reason"] == "repeat_complaint"}
    assert stored_causes and published_causes == stored_causes, "an escalation without its event, or the reverse"
    groups = await db.groups.find().to_list()
    assert groups, "no group complaint formed: the burst did not test group detection"
    assert len({g["key"] for g in groups if g["active"]}) == len([g for g in groups if g["active"]]), \
        "two active groups for one building"
    for g in groups:
        for member in g["members"]:
            assert stored[member]["group_id"] == g["_id"]
    assert all(stored[m]["category"] == "leak" for g in groups for m in g["members"]), "a tap repair in a group"
    # one batch-defect signal per building (all its tap repairs fall in one window), each published once
    signals = {s["_id"]: s for s in await db.defect_signals.find().to_list()}
    tapped = {c.building for c in cases if c.category == "plumbing"}
    assert len(tapped) > 1 and sorted(s["building"] for s in signals.values()) == sorted(tapped), \
        "not one signal per building with tap repairs"
    published: dict[str, list[dict]] = defaultdict(list)
    for record in await read_all(infra, topics("defect.batch_suspected"), 2000):
        event = json.loads(record.value)
        published[event["signal_id"]].append(event)
    assert set(published) == set(signals), "a signal without its event, or the reverse"
    for copies in published.values():
        assert len({e["event_id"] for e in copies}) == 1 and all(e == copies[0] for e in copies)
    for name in ("case.opened", "case.followed_up"):
        assert not await read_all(infra, dlq_name(topics(name)), 300), f"{name}: dead letters"
