"""The knowledge service on real servers, as processes: articles, search across instances, the case library.

Two instances share one store: an article the supervisor writes through one is found through the other
once its index refreshed (instances must agree). A case closed with a resolution, published as contract
events, becomes a library entry stripped of the owner's name, number and home; redelivered events make
no second entry; a malformed event goes to the dead-letter topic and the rest goes on.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import pytest
from kefu_contracts import CaseOpened, CaseStatusChanged, Topics

from support import auth
from support.kafka_io import read_all, send_json
from support.lag import lag
from support.waiting import eventually

pytestmark = pytest.mark.e2e

FAST = {"KEFU_INDEX_REFRESH_S": "0.3"}


def now() -> datetime:
    return datetime.now(timezone.utc)


def chain() -> dict:
    return {"event_id": f"ev-{uuid.uuid4()}", "occurred_at": now(), "correlation_id": f"call-{uuid.uuid4()}",
            "causation_id": f"ev-{uuid.uuid4()}"}


def opened(case_id: str) -> CaseOpened:
    return CaseOpened(**chain(), case_id=case_id, contact_id=f"call-{uuid.uuid4()}", customer_id="cust-1",
                      channel="hotline", kind="repair", classified_by="rules", category="地暖",
                      project="滨江花园", building="7幢", unit="0302",
                      body="我是7幢0302的王先生，电话13912345678，客厅地暖一直不热，分水器那里有咕噜声")


def status(case_id: str, to: str, note: str | None = None, resolution: str | None = None) -> CaseStatusChanged:
    return CaseStatusChanged(**chain(), case_id=case_id, customer_id="cust-1", status=to, actor="eng-1",
                             kind="repair", category="地暖", department="engineering", project="滨江花园",
                             building="7幢", unit="0302", note=note, resolution=resolution)


async def send(producer, ns: str, topic: str, event) -> None:
    await producer.send_and_wait(Topics(ns)(topic), event.to_json_bytes(), key=event.kafka_key().encode())


async def test_supervisor_writes_agents_search_and_every_instance_agrees(services) -> None:
    a, b = services("knowledge", "knowledge", **FAST)
    async with auth.client(a.url, "supervisor") as sup, auth.client(a.url, "agent") as agent_a, \
            auth.client(b.url, "agent") as agent_b:
        starters = (await agent_a.get("/articles", params={"limit": 500})).json()
        assert len(starters) >= 30 and any(x["id"] == "warranty-roof" for x in starters)

        article = {"id": "kb-e2e-ganglu", "question": "小区的人防车库可以长期租用吗？",
                   "answer": "人防车库车位只租不售，租期最长三年，到物业服务中心签订人防车位租赁协议。",
                   "tags": ["人防车位", "车位"], "projects": ["滨江花园"]}
        refused = await agent_a.post("/articles", json=article)
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
        created = await sup.post("/articles", json=article)
        assert created.status_code == 201, created.text
        assert created.json()["version"] == 1
        assert (await sup.post("/articles", json=article)).status_code == 409

        found = (await agent_a.get("/search", params={"q": "人防车库能租多久", "limit": 3})).json()
        assert found["hits"][0]["id"] == "kb-e2e-ganglu", found
        assert found["hits"][0]["type"] == "article" and found["hits"][0]["score"] > 0

        async def on_b() -> list:
            return (await agent_b.get("/search", params={"q": "人防车库能租多久", "limit": 3})).json()["hits"]
        hits_b = await eventually(on_b, lambda h: bool(h) and h[0]["id"] == "kb-e2e-ganglu", timeout=20,
                                  what="the other instance finding the new article")
        assert hits_b[0]["score"] == found["hits"][0]["score"], "both instances rank from the same documents"

        other_project = (await agent_a.get("/search", params={"q": "人防车库", "project": "江南府"})).json()
        assert "kb-e2e-ganglu" not in [h["id"] for h in other_project["hits"]], "scoped to its project"

        edit = await sup.patch("/articles/kb-e2e-ganglu", json={"answer": "人防车位只租不售，租期最长五年。",
                                                                 "expected_version": 1})
        assert edit.status_code == 200 and edit.json()["version"] == 2
        stale = await sup.patch("/articles/kb-e2e-ganglu", json={"answer": "x", "expected_version": 1})
        assert stale.status_code == 409
        versions = (await agent_b.get("/articles/kb-e2e-ganglu/versions")).json()
        assert [v["version"] for v in versions] == [1, 2]
        assert "三年" in versions[0]["answer"] and "五年" in versions[1]["answer"]

        retired = await sup.post("/articles/kb-e2e-ganglu/retire")
        assert retired.status_code == 200 and retired.json()["status"] == "retired"
        gone = (await agent_a.get("/search", params={"q": "人防车库能租多久"})).json()["hits"]
        assert "kb-e2e-ganglu" not in [h["id"] for h in gone]
        assert (await agent_a.post("/articles/kb-e2e-ganglu/retire")).status_code == 403

        suggested = (await agent_b.post("/suggestions", json={"text": "业主说楼顶下雨漏水，想问还保不保修"})).json()
        assert "warranty-roof" in [h["id"] for h in suggested["articles"]]


async def test_a_closed_case_becomes_a_stripped_library_entry_once(services, producer, infra, namespace) -> None:
    (k,) = services("knowledge", **FAST)
    case_id = f"case-{uuid.uuid4().hex[:8]}"
    events = [
        ("case.opened", opened(case_id)),
        ("case.status_changed", status(case_id, "assigned")),
        ("case.status_changed", status(case_id, "resolved",
                                       note="已更换7幢0302分水器排气阀并清洗地暖管道，王先生确认温度恢复，回电13912345678")),
        ("case.status_changed", status(case_id, "closed")),
    ]
    # a malformed record first: dead-lettered, and the good ones after it are still handled
    await send_json(producer, Topics(namespace)("case.opened"), {"event_id": "bad-1", "case_id": case_id},
                    key=case_id)
    for topic, event in events:
        await send(producer, namespace, topic, event)

    async with auth.client(k.url, "supervisor") as sup, auth.client(k.url, "engineering") as eng, \
            auth.client(k.url, "property") as prop:
        async def entry() -> dict:
            r = await sup.get(f"/library/{case_id}")
            return r.json() if r.status_code == 200 else {}
        made = await eventually(entry, lambda e: bool(e), timeout=30, what="the library entry")
        text = made["problem"] + made["resolution"]
        for secret in ("13912345678", "王先生", "0302", "7幢", "5678"):
            assert secret not in text, f"{secret!r} left in {text!r}"
        assert "地暖" in made["problem"] and "分水器" in made["resolution"]
        assert made["status"] == "candidate" and made["department"] == "engineering" and made["version"] == 1

        for topic, event in events:  # redelivery: the same events again
            await send(producer, namespace, topic, event)

        async def behind() -> int:  # offsets are committed after the effects: no lag, every redelivery applied
            group = f"{namespace}.kefu-knowledge"
            return sum([await lag(infra.kafka_bootstrap, group, Topics(namespace)(t))
                        for t in ("case.opened", "case.status_changed")])
        await eventually(behind, lambda n: n == 0, timeout=30, what="the redelivered events consumed")
        listed = [e for e in (await sup.get("/library", params={"status": "candidate"})).json() if e["case_id"] == case_id]
        assert len(listed) == 1 and listed[0]["version"] == 1

        hits = (await eng.get("/search", params={"q": "地暖不热 分水器", "type": "case"})).json()["hits"]
        assert hits and hits[0]["id"] == case_id
        assert (await prop.get(f"/library/{case_id}")).status_code == 404, "another department's case"
        prop_hits = (await prop.get("/search", params={"q": "地暖不热 分水器", "type": "case"})).json()["hits"]
        assert case_id not in [h["id"] for h in prop_hits]

        assert (await eng.post(f"/library/{case_id}/promote")).status_code == 403
        promoted = await sup.post(f"/library/{case_id}/promote")
        assert promoted.status_code == 200 and promoted.json()["status"] == "promoted"
        edited = await sup.patch(f"/library/{case_id}", json={"resolution": "更换排气阀，业主电话13800001111已回访"})
        assert "13800001111" not in edited.json()["resolution"] and edited.json()["version"] == 3

    dead = await read_all(infra, Topics(namespace)("case.opened") + ".dlq")
    assert [json.loads(m.value)["event_id"] for m in dead] == ["bad-1"]
