"""Group complaints that mean it, on real servers (routing's batch consumer, Kafka, the store).

Measured before: three owners of one building asking for their own kitchen taps to be repaired
made a level-3 group complaint for the general manager. Now a burst of in-unit tap repairs from
many owners makes no group and no escalation but ONE batch-defect signal for engineering (even
when every event is delivered twice), while a burst of lift complaints, and of repairs of the
shared exterior wall, still make group complaints.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone

import pytest
from kefu_contracts import CaseOpened, Topics, dlq_name
from kefu_kit import ensure_topics

from support.kafka_io import read_all
from support.lag import lag
from support.waiting import eventually

pytestmark = pytest.mark.e2e

PROJECT = "滨江花园"


def opened(n: int, at: datetime, *, kind: str, category: str | None, body: str, building: str = "3幢",
           tag: str) -> CaseOpened:
    return CaseOpened(
        event_id=f"opened-{uuid.uuid4()}", occurred_at=at, correlation_id=f"call-{uuid.uuid4()}",
        causation_id=f"call-{tag}-{n}", case_id=f"{tag}-{n:02d}-{uuid.uuid4().hex[:6]}", contact_id=f"call-{tag}-{n}",
        customer_id=f"owner-{tag}-{n}", channel="hotline", kind=kind, classified_by="rules", category=category,
        project=PROJECT, building=building, unit=f"{n + 1:02d}01", body=body,
    )


async def send(producer, topic: str, events) -> None:
    futures = [await producer.send(topic, e.to_json_bytes(), key=e.kafka_key().encode()) for e in events]
    await asyncio.gather(*futures)


def distinct(records) -> dict[str, list[dict]]:
    """Events by event_id (a republish is the same event: every copy must be equal)."""
    by_id: dict[str, list[dict]] = defaultdict(list)
    for record in records:
        event = json.loads(record.value)
        by_id[event["event_id"]].append(event)
    for copies in by_id.values():
        assert all(c == copies[0] for c in copies), f"a republished event differs: {copies}"
    return by_id


@pytest.mark.timeout(300)
async def test_in_unit_tap_repairs_signal_a_batch_defect_and_lift_complaints_make_a_group(
    services, producer, mongo, namespace, infra
):
    topics = Topics(namespace)
    await ensure_topics(infra.kafka_bootstrap, topics.all_physical())
    services("routing", KEFU_BATCH_MAX_RECORDS="4")  # small batches: the burst spans several of them
    db = mongo[f"{namespace}_kefu_routing"]
    start = datetime.now(timezone.utc) - timedelta(hours=2)
    taps = [opened(i, start + timedelta(minutes=i), kind="repair", category="plumbing",
                   body="厨房水龙头漏水，请派人来修", tag="tap") for i in range(8)]
    lifts = [opened(i, start + timedelta(minutes=3 * i), kind="complaint", category="public_area",
                    body="电梯又坏了，困了半小时，我要投诉", tag="lift") for i in range(4)]
    walls = [opened(i, start + timedelta(minutes=5 * i), kind="repair", category="leak", building="5幢",
                    body="外墙渗水，家里墙面都湿了", tag="wall") for i in range(3)]
    # two owners' taps in another building: too few for a signal
    few = [opened(i, start + timedelta(minutes=i), kind="repair", category="plumbing", building="8幢",
                  body="厨房水龙头漏水", tag="few") for i in range(2)]
    burst = [*taps, *lifts, *walls, *few]
    await send(producer, topics("case.opened"), burst)
    await send(producer, topics("case.opened"), taps)  # every tap repair delivered twice (a redelivery)

    group = f"{namespace}.kefu-routing"
    await eventually(lambda: lag(infra.kafka_bootstrap, group, topics("case.opened")), lambda n: n == 0,
                     timeout=120, interval=0.5, what="routing caught up on case.opened")
    for outbox in (db.cases_outbox, db.groups_outbox, db.defect_signals_outbox):
        await eventually(lambda: outbox.count_documents({}), lambda n: n == 0, timeout=60, what="outbox drained")
    stored = {c["_id"]: c for c in await db.cases.find().to_list()}
    assert set(stored) == {e.case_id for e in burst}

    # the taps: each its owner's own repair, in no group, at no complaint level, never escalated
    escalated = distinct(await read_all(infra, topics("complaint.escalated"), 1500))
    escalated_cases = {copies[0]["case_id"] for copies in escalated.values()}
    for e in [*taps, *few]:
        case = stored[e.case_id]
        assert case["group_id"] is None and case["level"] == 0 and case["escalations"] == [], case["_id"]
        assert e.case_id not in escalated_cases

    # ... but engineering hears of a batch defect, once, for 3幢's plumbing
    signals = distinct(await read_all(infra, topics("defect.batch_suspected"), 1500))
    assert len(signals) == 1, f"one signal per building and category per window: {list(signals)}"
    (signal,) = (copies[0] for copies in signals.values())
    assert (signal["project"], signal["building"], signal["category"]) == (PROJECT, "3幢", "plumbing")
    tap_ids = [e.case_id for e in taps]
    assert signal["owners"] >= 3 and set(signal["case_ids"]) <= set(tap_ids)
    assert signal["case_ids"] == sorted(signal["case_ids"], key=tap_ids.index), "oldest first"
    (doc,) = await db.defect_signals.find().to_list()
    assert doc["_id"] == signal["signal_id"] and doc["case_ids"] == signal["case_ids"]

    # the lift complaints and the exterior-wall repairs: a group complaint each, escalated once to level 3
    groups = {g["category"]: g for g in await db.groups.find().to_list()}
    assert sorted(groups) == ["leak", "public_area"], "no group of the tap repairs"
    for g, events in ((groups["public_area"], lifts), (groups["leak"], walls)):
        assert sorted(g["members"]) == sorted(e.case_id for e in events) and g["level"] == 3
        assert all(stored[e.case_id]["group_id"] == g["_id"] and stored[e.case_id]["level"] == 3 for e in events)
        ups = [c[0] for c in escalated.values()
               if c[0]["reason"] == "group_complaint" and c[0]["causation_id"] == g["_id"]]
        assert len(ups) == 1 and ups[0]["level"] == 3 and ups[0]["approver_role"] == "cs_general_manager"
    assert stored[walls[0].case_id]["element"] == "exterior_wall"
    assert not await read_all(infra, dlq_name(topics("case.opened")), 300), "dead letters"


def _metric(text: str, name: str, **labels: str) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    return sum(s.value for family in text_string_to_metric_families(text) for s in family.samples
               if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()))


@pytest.mark.timeout(300)
async def test_a_batch_of_many_buildings_joins_all_their_groups_in_one_change_of_the_groups(
    services, producer, mongo, namespace, infra
):
    """Each building's joins were a change of its group (five commands) and of its members: a burst's
    hundred buildings, hundreds of commands. Now one bulk change of all the batch's groups."""
    import httpx

    topics = Topics(namespace)
    await ensure_topics(infra.kafka_bootstrap, topics.all_physical())
    db = mongo[f"{namespace}_kefu_routing"]
    group_id = f"{namespace}.kefu-routing"
    buildings = [f"{n}幢" for n in range(11, 19)]
    start = datetime.now(timezone.utc) - timedelta(hours=2)

    def lifts(b: str, numbers: range, minutes: int) -> list[CaseOpened]:
        return [opened(i, start + timedelta(minutes=minutes + i), kind="complaint", category="public_area",
                       body="电梯又坏了，困了半小时，我要投诉", building=b, tag=f"b{b[:2]}") for i in numbers]

    async def settled() -> None:
        await eventually(lambda: lag(infra.kafka_bootstrap, group_id, topics("case.opened")), lambda n: n == 0,
                         timeout=120, interval=0.5, what="routing caught up on case.opened")
        for outbox in (db.cases_outbox, db.groups_outbox):
            await eventually(lambda: outbox.count_documents({}), lambda n: n == 0, timeout=60, what="outbox drained")

    formed = [e for b in buildings for e in lifts(b, range(3), 0)]  # three owners each: a group per building
    await send(producer, topics("case.opened"), formed)  # before routing starts: few batches
    (routing,) = services("routing")
    await settled()
    assert len(await db.groups.find({"active": True}).to_list()) == len(buildings)
    async with httpx.AsyncClient(base_url=routing.url, timeout=10) as client:
        text = (await client.get("/metrics")).text
    batches = _metric(text, "kefu_batch_records_count", topic=topics("case.opened"))
    group_reads = _metric(text, "kefu_store_commands_total", collection="groups", command="find")
    report_reads = _metric(text, "kefu_store_commands_total", collection="recent_reports", command="find")
    # a building's cases of a batch: its active group and its recent reports (one query per kind) read once
    assert 0 < batches < 3, f"{batches} batches: too many for the check below to mean anything"
    # (+1: the close-groups run at startup looks for ended groups once)
    assert group_reads <= batches * len(buildings) + 1, f"{group_reads} reads of groups in {batches} batches"
    # (+1 a batch: its callers' recent reports, for repeats, read once for the whole batch)
    assert report_reads <= batches * (len(buildings) * 2 + 1), f"{report_reads} reads of reports in {batches} batches"

    routing.stop()  # the next cases pile up, so the restarted routing takes them in few batches
    joining = [e for b in buildings for e in lifts(b, range(3, 5), 30)]
    await send(producer, topics("case.opened"), joining)
    routing.start()
    await settled()

    groups = {g["building"]: g for g in await db.groups.find().to_list()}
    assert sorted(groups) == sorted(buildings), "the new cases joined their building's group, none formed another"
    stored = {c["_id"]: c for c in await db.cases.find({"_id": {"$in": [e.case_id for e in joining]}}).to_list()}
    for e in joining:
        g = groups[e.building]
        assert e.case_id in g["members"] and len(g["members"]) == 5
        assert stored[e.case_id]["group_id"] == g["_id"] and stored[e.case_id]["level"] == 3

    async with httpx.AsyncClient(base_url=routing.url, timeout=10) as client:
        text = (await client.get("/metrics")).text  # the restarted process: counts of the joining cases only
    batches = _metric(text, "kefu_batch_records_count", topic=topics("case.opened"))
    group_updates = _metric(text, "kefu_store_commands_total", collection="groups", command="update")
    assert 0 < batches < len(buildings), f"{batches} batches: too many for the check below to mean anything"
    assert group_updates <= batches, f"{group_updates} changes of groups in {batches} batches: one per building?"


@pytest.mark.timeout(300)
async def test_batch_defects_of_many_buildings_are_signalled_in_one_create(services, producer, mongo, namespace, infra):
    """A signal was created on its own (five commands each, a building after another); a batch's
    signals of every building are now created together, each once, even when delivered twice."""
    import httpx

    topics = Topics(namespace)
    await ensure_topics(infra.kafka_bootstrap, topics.all_physical())
    (routing,) = services("routing")
    routing.stop()  # the repairs pile up, so routing takes them in few batches
    db = mongo[f"{namespace}_kefu_routing"]
    buildings = [f"{n}幢" for n in range(21, 27)]
    start = datetime.now(timezone.utc) - timedelta(hours=2)
    taps = [opened(i, start + timedelta(minutes=i), kind="repair", category="plumbing", body="厨房水龙头漏水，请派人来修",
                   building=b, tag=f"t{b[:2]}") for b in buildings for i in range(3)]
    await send(producer, topics("case.opened"), taps)
    await send(producer, topics("case.opened"), taps)  # a redelivery of all of them
    routing.start()
    group_id = f"{namespace}.kefu-routing"
    await eventually(lambda: lag(infra.kafka_bootstrap, group_id, topics("case.opened")), lambda n: n == 0,
                     timeout=120, interval=0.5, what="routing caught up on case.opened")
    await eventually(lambda: db.defect_signals_outbox.count_documents({}), lambda n: n == 0, timeout=60,
                     what="outbox drained")

    signals = {s["building"]: s for s in await db.defect_signals.find().to_list()}
    assert sorted(signals) == sorted(buildings), "one signal per building"
    published = distinct(await read_all(infra, topics("defect.batch_suspected"), 1500))
    assert len(published) == len(buildings), "each signal announced once"
    for b, s in signals.items():
        assert sorted(s["case_ids"]) == sorted(e.case_id for e in taps if e.building == b)

    async with httpx.AsyncClient(base_url=routing.url, timeout=10) as client:
        text = (await client.get("/metrics")).text
    batches = _metric(text, "kefu_batch_records_count", topic=topics("case.opened"))
    claims = _metric(text, "kefu_store_commands_total", collection="defect_signals_revisions", command="insert")
    assert 0 < batches < len(buildings), f"{batches} batches: too many for the check below to mean anything"
    assert claims <= batches, f"{claims} signal claims in {batches} batches: one per building?"
