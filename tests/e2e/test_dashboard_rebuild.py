"""The dashboard's read model on real servers: built live from intake's and routing's events, then
``kefu rebuild dashboard`` from the log gives the same store, document by document, and the restarted
service goes on from there."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from kefu_contracts import SURVEY_ANSWERED, SurveyAnswered, Topics
from kefu_dashboard.projection import CONSUMED

from support.kafka_io import call_payload, send_json
from support.lag import lag
from support.routing_api import Tokens
from support.waiting import eventually

pytestmark = pytest.mark.e2e

READ_MODEL = ("cases", "answers")


def calls(start: int, n: int) -> list[dict[str, Any]]:
    """Repairs, questions and complaints across projects; four owners in one building make a group complaint."""
    out = []
    for i in range(start, start + n):
        if i % 4 == 0:
            out.append(call_payload(i, kind="complaint", body="外墙渗水，家里墙面都湿了，要投诉",
                                    property={"project": "滨江花园", "building": "3幢", "unit": f"{i:02d}01"}))
        elif i % 4 == 1:
            out.append(call_payload(i, body="请问房产证什么时候办好？",
                                    property={"project": "金沙湾", "building": "1幢", "unit": f"{i:02d}02"}))
        else:
            out.append(call_payload(i, body="楼道灯不亮了", property={"project": "翠湖天地", "building": f"{i}幢",
                                                                    "unit": "0101"}))
    return out


def answer(case: dict[str, Any], csat: int, with_project: bool) -> SurveyAnswered:
    now = datetime.now(timezone.utc)
    return SurveyAnswered(
        event_id=f"answer-{uuid.uuid4()}", occurred_at=now, correlation_id="test", causation_id="test",
        survey_id=f"sv-{uuid.uuid4().hex[:8]}", kind="complaint_return_visit", customer_id=case["customer_id"],
        case_id=case["_id"], questionnaire_id="complaint-v1", csat=csat, solved=csat >= 4, nps=csat * 2,
        answered_at=now, project=case.get("project") if with_project else None)


async def publish_calls(producer: AIOKafkaProducer, ns: str, batch: list[dict[str, Any]]) -> None:
    for c in batch:
        await send_json(producer, Topics(ns)("call.received"), c, key=c["caller"]["phone"])


async def read_model(mongo, database: str) -> dict[str, list[dict[str, Any]]]:
    db = mongo[database]
    return {name: await db[name].find().sort("_id", 1).to_list() for name in READ_MODEL}


async def caught_up(infra, ns: str, group: str, topics: tuple[str, ...] = CONSUMED) -> int:
    return sum([await lag(infra.kafka_bootstrap, group, Topics(ns)(t)) for t in topics])


async def received(url: str) -> float:
    """Messages an instance has consumed (FastStream's Prometheus middleware)."""
    async with httpx.AsyncClient(base_url=url) as client:
        text = (await client.get("/metrics")).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("faststream_received_messages_total{"))


def kefu_rebuild(infra, ns: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kefu_cli.main", "rebuild", "dashboard", "--namespace", ns,
         "--bootstrap", infra.kafka_bootstrap, "--mongo-url", infra.mongo_url, *extra],
        capture_output=True, text=True, timeout=300)


async def test_the_rebuilt_store_equals_the_live_one_and_the_service_goes_on(services, producer, mongo, namespace,
                                                                              infra):
    tokens = Tokens.make()
    intake, routing, dashboard = services("intake", "routing", "dashboard", KEFU_ROUTING_TOKENS=tokens.env(),
                                          KEFU_DASHBOARD_TOKENS=tokens.env())
    first = calls(0, 24)
    await publish_calls(producer, namespace, first)
    routed = mongo[f"{namespace}_kefu_routing"].cases
    await eventually(lambda: routed.count_documents({}), lambda n: n == len(first), timeout=120,
                     what="routing has every case")

    # Work on some cases through routing's API (status changes), and answer return visits.
    async with tokens.client(routing.url, "manager") as manager:
        complaints = await routed.find({"kind": "complaint"}).sort("_id", 1).to_list()
        for case in complaints[:3]:
            assert (await manager.post(f"/cases/{case['_id']}/acknowledge")).status_code == 200
            assert (await manager.post(f"/cases/{case['_id']}/resolve", json={"note": "已修复"})).status_code == 200
    for i, case in enumerate(complaints[:3]):
        event = answer(case, csat=5 - 2 * i, with_project=i != 1)  # one without a project: the case's is used
        await producer.send_and_wait(Topics(namespace)(SURVEY_ANSWERED), event.to_json_bytes(),
                                     key=event.kafka_key().encode())

    live_db = f"{namespace}_kefu_dashboard"
    group = f"{namespace}.kefu-dashboard"
    await eventually(lambda: caught_up(infra, namespace, f"{namespace}.kefu-routing", ("case.opened", SURVEY_ANSWERED)),
                     lambda n: n == 0,
                     timeout=90, what="routing caught up")
    await eventually(lambda: caught_up(infra, namespace, group), lambda n: n == 0, timeout=90,
                     what="the dashboard caught up")
    live = await read_model(mongo, live_db)
    assert len(live["cases"]) == len(first) and len(live["answers"]) == 3
    assert any(c["group_id"] for c in live["cases"]), "the building's complaints made a group"
    assert {a["project"] for a in live["answers"]} == {"滨江花园"}, "the answer without a project took its case's"
    assert sum(len(c["answers"]) for c in live["cases"]) == 3

    refused = kefu_rebuild(infra, namespace)
    assert refused.returncode == 1 and "Stop every instance first" in refused.stderr, refused.stderr

    dashboard.stop()
    copy_db = f"{namespace}_rebuilt"
    built = kefu_rebuild(infra, namespace, "--into", copy_db)
    assert built.returncode == 0, built.stderr
    assert await read_model(mongo, copy_db) == live, "rebuilt into another database"

    in_place = kefu_rebuild(infra, namespace)
    assert in_place.returncode == 0, in_place.stderr
    assert await read_model(mongo, live_db) == live, "rebuilt in place"
    assert await caught_up(infra, namespace, group) == 0, "the group stands at the end offsets the rebuild read"
    assert await mongo[live_db].feed.count_documents({}) == 0, "a replay announces nothing on the live feed"

    dashboard.start()
    more = calls(100, 8)
    await publish_calls(producer, namespace, more)
    total = len(first) + len(more)
    await eventually(lambda: mongo[live_db].cases.count_documents({"department": {"$ne": None}}),
                     lambda n: n == total, timeout=120, what="the restarted service applies the new cases")
    await eventually(lambda: caught_up(infra, namespace, group), lambda n: n == 0, timeout=60,
                     what="caught up again")
    after = await read_model(mongo, live_db)
    old = {c["_id"]: c for c in live["cases"]}
    assert all(old[c["_id"]] == c for c in after["cases"] if c["_id"] in old and not c.get("group_id")), \
        "nothing applied twice or lost across the restart"


async def test_two_instances_build_what_a_replay_builds_and_each_streams_what_the_other_applied(
        services, producer, mongo, namespace, infra):
    from .test_dashboard_api import FAST, Cases, read_stream

    tokens = Tokens.make()
    first, second = services("dashboard", "dashboard", KEFU_DASHBOARD_TOKENS=tokens.env(), **FAST)
    cases = Cases(producer, namespace)
    seen: list[dict[str, Any]] = []
    async with tokens.client(second.url, "manager") as manager:
        reader = asyncio.create_task(read_stream(manager, seen))
        ids = []
        for i in range(24):
            ids.append(await cases.new(("engineering", "property", "customer_service")[i % 3], "滨江花园",
                                       f"问题{i}", building=f"{i % 4}幢"))
        for group in range(2):  # group complaints name members that other instances own
            members = ids[group * 6:group * 6 + 6:2]
            await cases.escalate(members[0], "customer_service", "滨江花园", 3, "group_complaint", members)
        for i, case_id in enumerate(ids[:12]):  # answers are keyed by customer: another partition than the case
            event = answer({"_id": case_id, "customer_id": f"owner-{i}", "project": None}, 4, with_project=False)
            await producer.send_and_wait(Topics(namespace)(SURVEY_ANSWERED), event.to_json_bytes(),
                                         key=event.kafka_key().encode())
        group = f"{namespace}.kefu-dashboard"
        await eventually(lambda: caught_up(infra, namespace, group), lambda n: n == 0, timeout=90,
                         what="both instances caught up")
        await eventually(lambda: asyncio.sleep(0, {e["case_id"] for e in seen}), lambda got: got >= set(ids),
                         what="instance 2's stream carries every new case, whichever instance applied it")
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
    for instance in (first, second):
        assert await received(instance.url) > 0, "the range assignor gave each instance its share of partitions"
    first.stop()
    second.stop()
    live = await read_model(mongo, f"{namespace}_kefu_dashboard")
    assert len(live["cases"]) == 24 and len(live["answers"]) == 12
    assert all(a["project"] == "滨江花园" for a in live["answers"])
    assert sum(1 for c in live["cases"] if c["group_id"]) == 6
    built = kefu_rebuild(infra, namespace, "--into", f"{namespace}_rebuilt")
    assert built.returncode == 0, built.stderr
    assert await read_model(mongo, f"{namespace}_rebuilt") == live
