"""The case pipeline on real servers: intake and routing as the customer service center runs them."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from kefu_contracts import Topics

from support import auth
from support.kafka_io import call_payload, read_all, send_json
from support.routing_api import Tokens
from support.waiting import eventually

pytestmark = pytest.mark.e2e


@pytest.fixture
def tokens() -> Tokens:
    return Tokens.make()


def complaint(i: int, project: str, building: str, body: str, **extra) -> dict:
    return call_payload(i, kind="complaint", body=body,
                        property={"project": project, "building": building, "unit": f"{i:02d}01"}, **extra)


async def escalations(infra, ns: str) -> list[dict]:
    return [json.loads(m.value) for m in await read_all(infra, Topics(ns)("complaint.escalated"), 1500)]


async def test_a_burst_of_leak_complaints_makes_one_group_per_building(services, producer, mongo, namespace, infra,
                                                                       tokens):
    services("intake", "routing", KEFU_ROUTING_TOKENS=tokens.env())
    topic = Topics(namespace)("call.received")
    calls = []
    start = datetime.now(timezone.utc)
    for i in range(5):
        calls.append(complaint(100 + i, "滨江花园", "3幢", "外墙渗水，家里墙面都湿了，要投诉"))
        # 6幢's complaints arrive newest first: processing order is not the order they were made in.
        calls.append(complaint(200 + i, "翠湖天地", "6幢", "外墙渗水好几天了，物业一直没处理，投诉",
                               occurred_at=(start - timedelta(minutes=i)).isoformat()))
    for i in range(20):  # unrelated traffic: other buildings, other problems
        calls.append(call_payload(300 + i, body=["请问房产证什么时候办好？", "感谢保安师傅帮忙", "楼道灯不亮了"][i % 3],
                                  property={"project": "金沙湾", "building": f"{i}幢", "unit": "0101"}))
    calls.append(complaint(400, "滨江花园", "8幢", "外墙渗水，投诉"))  # a lone complaint in another building
    for c in calls:
        await send_json(producer, topic, c, key=c["caller"]["phone"])

    cases = mongo[f"{namespace}_kefu_routing"].cases
    await eventually(lambda: cases.count_documents({}), lambda n: n == len(calls), timeout=120,
                     what="a case for every contact")
    await eventually(lambda: cases.count_documents({"group_id": {"$ne": None}}), lambda n: n == 10, timeout=60,
                     what="10 cases in groups")
    groups = await mongo[f"{namespace}_kefu_routing"].groups.find().to_list()
    assert sorted(g["building"] for g in groups) == ["3幢", "6幢"]
    assert all(len(g["members"]) == 5 and len(g["customers"]) == 5 and g["level"] == 3 for g in groups)
    group_events = [e for e in await escalations(infra, namespace) if e["reason"] == "group_complaint"]
    assert len(group_events) == 2, "one escalation per group, not one per case"
    for e in group_events:
        assert e["level"] == 3 and e["approver_role"] == "cs_general_manager"
        assert len(e["related_case_ids"]) >= 3
    # Each formation or join names all members so far, so a read model knows every member and its level.
    changes = list({c["event_id"]: c for c in map(lambda m: json.loads(m.value), await read_all(
        infra, Topics(namespace)("complaint.group_changed"), 1500))}.values())  # a republish is a repeat
    for g in groups:
        mine = sorted((c for c in changes if c["group_id"] == g["_id"]), key=lambda c: len(c["member_case_ids"]))
        assert set(mine[-1]["member_case_ids"]) == set(g["members"]) and mine[-1]["owners"] == 5
        assert len(mine) == 5 - len(mine[0]["member_case_ids"]) + 1, "one event per membership, no repeats"
        assert all(c["level"] == 3 and c["lead_case_id"] == g["lead_case_id"] for c in mine)
    lone = await cases.find_one({"project": "滨江花园", "building": "8幢"})
    assert lone["group_id"] is None and lone["level"] == 1
    await no_dead_letters(infra, namespace)



async def test_the_same_repair_routes_by_warranty(services, producer, mongo, namespace, infra, tokens):
    intake, routing = services("intake", "routing", KEFU_ROUTING_TOKENS=tokens.env())
    async with auth.client(intake.url, "ops") as client:
        reply = await client.put("/property-register", json=[
            {"project": "翠湖天地", "handover_date": "2024-06-30"},
            {"project": "滨江花园", "handover_date": "2019-06-30"},
        ])
        assert reply.status_code == 200
    topic = Topics(namespace)("call.received")
    new = call_payload(1, kind="repair", body="卫生间地面渗水到楼下",
                       property={"project": "翠湖天地", "building": "1幢", "unit": "0301"})
    old = call_payload(2, kind="repair", body="卫生间地面渗水到楼下",
                       property={"project": "滨江花园", "building": "1幢", "unit": "0301"})
    for c in (new, old):
        await send_json(producer, topic, c, key=c["caller"]["phone"])
    assigned = await eventually(lambda: read_all(infra, Topics(namespace)("case.assigned"), 1000),
                                lambda m: len(m) == 2, what="2 assignments")
    by_project = {json.loads(m.value)["project"]: json.loads(m.value) for m in assigned}
    assert by_project["翠湖天地"]["department"] == "engineering"
    assert by_project["翠湖天地"]["under_warranty"] is True
    assert by_project["翠湖天地"]["rule"] == "repair.in_warranty"
    assert by_project["滨江花园"]["department"] == "property"
    assert by_project["滨江花园"]["under_warranty"] is False
    assert "2024-06-30" in by_project["翠湖天地"]["warranty_reason"]


async def test_cost_approval_within_authority_and_department_isolation(services, producer, mongo, namespace, infra,
                                                                       tokens):
    intake, routing = services("intake", "routing", KEFU_ROUTING_TOKENS=tokens.env())
    async with auth.client(intake.url, "ops") as client:
        await client.put("/property-register", json=[{"project": "翠湖天地", "handover_date": "2025-01-15"}])
    repair = call_payload(1, kind="repair", body="屋面防水层破损，顶楼客厅漏水",
                          property={"project": "翠湖天地", "building": "2幢", "unit": "1801"})
    inquiry = call_payload(2, body="请问小区停车位怎么租？", property={"project": "翠湖天地", "building": "2幢"})
    for c in (repair, inquiry):
        await send_json(producer, Topics(namespace)("call.received"), c, key=c["caller"]["phone"])
    cases = mongo[f"{namespace}_kefu_routing"].cases
    await eventually(lambda: cases.count_documents({}), lambda n: n == 2, what="2 cases")
    repair_case = await cases.find_one({"kind": "repair"})
    other_case = await cases.find_one({"kind": {"$ne": "repair"}})
    assert repair_case["department"] == "engineering" and other_case["department"] != "engineering"
    cid = repair_case["_id"]

    eng, mgr, gm = (tokens.client(routing.url, who) for who in ("engineering", "manager", "gm"))
    async with eng, mgr, gm:
        # a department sees its own cases only; another department's case does not exist for it
        assert (await eng.get(f"/cases/{other_case['_id']}")).status_code == 404
        listed = (await eng.get("/cases")).json()
        assert [c["_id"] for c in listed] == [cid]
        assert (await eng.get("/cases", params={"department": "property"})).status_code == 403
        assert (await mgr.get(f"/cases/{other_case['_id']}")).status_code == 200
        assert (await httpx.AsyncClient(base_url=routing.url).get("/cases")).status_code == 401

        assert (await eng.post(f"/cases/{cid}/work-order/start", json={"note": "师傅已上门"})).status_code == 200
        blocked = await eng.post(f"/cases/{cid}/work-order/complete", json={"cost": "15000.00", "note": "重做防水"})
        assert blocked.status_code == 409 and "approved cost" in blocked.json()["detail"]
        asked = await eng.post(f"/cases/{cid}/approvals", json={"kind": "cost", "amount": "15000.00"})
        assert asked.status_code == 200
        approval = asked.json()["approvals"][-1]
        assert approval["required_role"] == "cs_general_manager"
        refused = await mgr.post(f"/cases/{cid}/approvals/{approval['id']}/approve")
        assert refused.status_code == 403, "a CS manager may approve up to 10,000 only"
        assert (await eng.post(f"/cases/{cid}/approvals/{approval['id']}/approve")).status_code == 403
        ok = await gm.post(f"/cases/{cid}/approvals/{approval['id']}/approve", json={"reason": "整体返修"})
        assert ok.status_code == 200
        decided = ok.json()["approvals"][-1]
        assert decided["status"] == "approved" and decided["decided_by"] == "gm" and decided["decided_at"]
        done = await eng.post(f"/cases/{cid}/work-order/complete", json={"cost": "15000.00", "note": "重做防水"})
        assert done.status_code == 200 and done.json()["status"] == "resolved"
        timeline = [t["type"] for t in (await mgr.get(f"/cases/{cid}")).json()["timeline"]]
        assert timeline[:2] == ["opened", "assigned"]
        assert {"work_order_start", "approval_requested", "approval_decided", "work_order_complete"} <= set(timeline)

    completed = await eventually(lambda: read_all(infra, Topics(namespace)("repair.completed"), 1000),
                                 lambda m: len(m) == 1, what="repair.completed")
    event = json.loads(completed[0].value)
    assert event["case_id"] == cid and event["cost"] == {"amount": "15000.00", "currency": "CNY"}
    assert event["under_warranty"] is True and event["department"] == "engineering"
    statuses = [json.loads(m.value)["status"]
                for m in await read_all(infra, Topics(namespace)("case.status_changed"), 1000)
                if json.loads(m.value)["case_id"] == cid]
    assert statuses == ["assigned", "in_progress", "resolved"]


async def no_dead_letters(infra, ns: str) -> None:
    """Nothing in these scenarios is bad input: every dead-letter topic must be empty."""
    from kefu_contracts import TOPICS, dlq_name

    for name in TOPICS:
        dead = await read_all(infra, dlq_name(Topics(ns)(name)), 300)
        assert not dead, f"{name}: {[dict(m.headers).get('kefu-dlq-error') for m in dead]}"


async def test_a_second_contact_about_an_open_case_follows_it_up(services, producer, mongo, namespace, infra, tokens):
    intake, routing = services("intake", "routing", KEFU_ROUTING_TOKENS=tokens.env())
    topic = Topics(namespace)("call.received")
    prop = {"project": "西溪雅苑", "building": "5幢", "unit": "0202"}
    first = call_payload(1, kind="repair", body="厨房插座跳闸，请派电工", property=prop)
    await send_json(producer, topic, first, key=first["caller"]["phone"])
    cases = mongo[f"{namespace}_kefu_routing"].cases
    await eventually(lambda: cases.count_documents({}), lambda n: n == 1, what="the case")
    again = call_payload(1, body="电工到现在还没来，插座还是跳闸，我要投诉", property=prop)  # later in time
    await send_json(producer, topic, again, key=again["caller"]["phone"])
    case = await eventually(lambda: cases.find_one({}), lambda c: len(c["contacts"]) == 2, what="the follow-up")
    assert await cases.count_documents({}) == 1
    assert case["level"] == 1 and case["escalations"][0]["reason"] == "repeat_complaint"
    assert any(t["type"] == "follow_up" for t in case["timeline"])
    followed = await read_all(infra, Topics(namespace)("case.followed_up"), 1000)
    assert len(followed) == 1 and json.loads(followed[0].value)["kind"] == "complaint"

    async with auth.client(intake.url, "agent") as client:
        profile = (await client.get(f"/customers/{case['customer_id']}")).json()
    assert profile["customer"]["phones"] == ["+86" + first["caller"]["phone"]]
    assert [c["_id"] for c in profile["contacts"]] == [again["event_id"], first["event_id"]]

    # once the case is resolved, the same problem again is a new case
    staff = "engineering" if case["department"] == "engineering" else "property"
    async with tokens.client(routing.url, staff) as dept:
        assert (await dept.post(f"/cases/{case['_id']}/resolve", json={"note": "已更换插座"})).status_code == 200
    problems = mongo[f"{namespace}_kefu_intake"].open_problems
    await eventually(lambda: problems.find_one({}), lambda p: p["open"] is False, what="intake hears of the resolve")
    third = call_payload(1, kind="repair", body="厨房插座又跳闸了", property=prop)
    await send_json(producer, topic, third, key=third["caller"]["phone"])
    await eventually(lambda: cases.count_documents({}), lambda n: n == 2, what="a new case for the same problem")
    await no_dead_letters(infra, namespace)


FAST_SLA = """
kinds = ["inquiry", "complaint", "suggestion", "repair", "praise"]
emergency_flags = ["gas"]

[[rule]]
id = "complaint.level1.drill"
kind = "complaint"
level = 1
respond = { clock = "wall", seconds = 4 }
resolve = { clock = "wall", hours = 2 }

[[rule]]
id = "complaint.higher"
kind = "complaint"
respond = { clock = "wall", hours = 8 }
resolve = { clock = "wall", hours = 24 }
""" + "".join(f"""
[[rule]]
id = "{kind}"
kind = "{kind}"
respond = {{ clock = "wall", hours = 8 }}
resolve = {{ clock = "wall", hours = 24 }}
""" for kind in ("inquiry", "suggestion", "repair", "praise"))


async def test_a_missed_deadline_escalates_once_with_two_routing_instances_and_a_restart(
    services, producer, mongo, namespace, infra, tmp_path
):
    sla = tmp_path / "sla.toml"
    sla.write_text(FAST_SLA, encoding="utf-8")
    env = {"KEFU_SLA_FILE": str(sla), "KEFU_TIMER_INTERVAL_S": "0.3", "KEFU_RELAY_INTERVAL_S": "1"}
    _, first, second = services("intake", "routing", "routing", **env)
    c = call_payload(1, kind="complaint", body="物业维修人员态度很差，我要投诉",
                     property={"project": "金沙湾", "building": "9幢", "unit": "0901"})
    await send_json(producer, Topics(namespace)("call.received"), c, key=c["caller"]["phone"])
    cases = mongo[f"{namespace}_kefu_routing"].cases
    case = await eventually(lambda: cases.find_one({}), lambda d: d is not None, what="the complaint case")
    assert case["level"] == 1 and case["deadlines"]["rule"] == "complaint.level1.drill"
    first.kill()  # a restart in between: one instance dies before the deadline, comes back after it
    await asyncio.sleep(5)
    first.start()

    case = await eventually(lambda: cases.find_one({}), lambda d: d["level"] == 2, timeout=60, what="level 2")
    await asyncio.sleep(3)  # both instances keep checking timers; nothing more may happen
    case = await cases.find_one({})
    assert case["level"] == 2
    assert [e["reason"] for e in case["escalations"]] == ["sla_breach"]
    assert [t["which"] for t in case["timeline"] if t["type"] == "deadline_missed"] == ["respond"]
    breaches = [e for e in await escalations(infra, namespace) if e["reason"] == "sla_breach"]
    assert len(breaches) == 1
    assert (breaches[0]["previous_level"], breaches[0]["level"]) == (1, 2)
    assert breaches[0]["approver_role"] == "cs_general_manager"


def derived(event_id: str, **fields) -> dict:
    return {"event_id": event_id, "schema_version": 1, "occurred_at": datetime.now(timezone.utc).isoformat(),
            "correlation_id": event_id, "causation_id": event_id, **fields}


async def test_vip_owners_start_higher_and_dissatisfied_return_visits_reopen(
    services, producer, mongo, namespace, infra, tokens
):
    intake, routing = services("intake", "routing", KEFU_ROUTING_TOKENS=tokens.env())
    topics = Topics(namespace)
    await send_json(producer, topics("member.tier_changed"),
                    derived(f"tier-{uuid.uuid4()}", customer_id="C-VIP-1", member_id="M1", tier="gold",
                            previous_tier="silver", vip=True), key="C-VIP-1")
    vips = mongo[f"{namespace}_kefu_routing"].vip_customers
    await eventually(lambda: vips.count_documents({"vip": True}), lambda n: n == 1, what="VIP learned")
    complaint_call = call_payload(1, kind="complaint", body="车位被人长期占用，物业不管，投诉",
                                  caller={"name": "赵先生", "customer_id": "C-VIP-1"},
                                  property={"project": "城投·春江府", "building": "2幢", "unit": "2201"})
    repair_call = call_payload(2, kind="repair", body="主卧窗户关不严，漏风",
                               property={"project": "城投·春江府", "building": "2幢", "unit": "0501"})
    for c in (complaint_call, repair_call):
        await send_json(producer, topics("call.received"), c, key=c["caller"].get("phone") or "C-VIP-1")
    cases = mongo[f"{namespace}_kefu_routing"].cases
    await eventually(lambda: cases.count_documents({}), lambda n: n == 2, what="2 cases")
    vip_case = await cases.find_one({"kind": "complaint"})
    assert vip_case["level"] == 2 and vip_case["escalations"][0]["reason"] == "vip"
    repair = await cases.find_one({"kind": "repair"})
    staff = "engineering" if repair["department"] == "engineering" else "property"

    async with tokens.client(routing.url, staff) as dept:
        first = await dept.post(f"/cases/{repair['_id']}/work-order/complete", json={"cost": "0", "note": "已调整"})
        assert first.status_code == 200, first.text
        first_order = first.json()["work_order"]["id"]
        await send_json(producer, topics("survey.answered"), derived(
            f"ans-{uuid.uuid4()}", survey_id="sv-1", kind="repair_return_visit", customer_id=repair["customer_id"],
            case_id=repair["_id"], questionnaire_id="csat-v1", csat=2, solved=False,
            answered_at=datetime.now(timezone.utc).isoformat()), key=repair["customer_id"])
        reopened = await eventually(lambda: cases.find_one({"_id": repair["_id"]}),
                                    lambda c: c["status"] == "reopened", what="reopened")
        assert reopened["level"] == 1 and reopened["escalations"][-1]["reason"] == "dissatisfied_return_visit"
        second = await dept.post(f"/cases/{repair['_id']}/work-order/complete", json={"cost": "0", "note": "换密封条"})
        assert second.status_code == 200 and second.json()["work_order"]["id"] != first_order
        await send_json(producer, topics("survey.answered"), derived(
            f"ans-{uuid.uuid4()}", survey_id="sv-2", kind="repair_return_visit", customer_id=repair["customer_id"],
            case_id=repair["_id"], questionnaire_id="csat-v1", csat=5, solved=True,
            answered_at=datetime.now(timezone.utc).isoformat()), key=repair["customer_id"])
        await eventually(lambda: cases.find_one({"_id": repair["_id"]}), lambda c: c["status"] == "closed",
                         what="closed after a satisfied visit")

    reasons = [(e["case_id"], e["reason"], e["previous_level"], e["level"]) for e in await escalations(infra, namespace)]
    assert (vip_case["_id"], "vip", 0, 2) in reasons
    assert (repair["_id"], "dissatisfied_return_visit", 0, 1) in reasons
    completed = [json.loads(m.value) for m in await read_all(infra, topics("repair.completed"), 1000)]
    assert len({c["work_order_id"] for c in completed}) == 2, "a new return visit follows the second fix"
    await no_dead_letters(infra, namespace)
