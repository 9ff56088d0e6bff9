"""The whole loop with the owner, all five services on real servers:

a repair contact → case → work order → completed → return visit due → owner notified →
owner answers 2/5 → case reopened and escalated → fixed → second visit answered 5/5 →
case closed, and points credited once per answer.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kefu_contracts import Topics

from support import auth
from support.kafka_io import call_payload, read_all, send_json
from support.routing_api import Tokens
from support.waiting import eventually

pytestmark = pytest.mark.e2e

PHONE = "13900007777"


def sent_messages(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


async def test_repair_to_return_visits_to_points(services, producer, mongo, namespace, infra, tmp_path):
    tokens = Tokens.make()
    outbox = tmp_path / "sent.jsonl"
    intake, routing, notifications, surveys, membership = services(
        "intake", "routing", "notifications", "surveys", "membership",
        KEFU_ROUTING_TOKENS=tokens.env(),
        KEFU_REPAIR_VISIT_DUE_AFTER_S="1", KEFU_SCHEDULER_INTERVAL_S="0.3", KEFU_RELAY_INTERVAL_S="1",
        KEFU_QUIET_HOURS="", KEFU_DELIVERY_INTERVAL_S="0.3", KEFU_FILE_PROVIDER_PATH=str(outbox),
    )
    topics = Topics(namespace)
    async with auth.client(intake.url, "relations") as client:
        handed = await client.put("/property-register", json=[{
            "project": "翠湖天地", "building": "2幢", "unit": "1801", "handover_date": "2025-01-15",
            "owner": {"name": "钱女士", "phone": PHONE}}])
        assert handed.status_code == 200
    joined = await eventually(lambda: read_all(infra, topics("member.joined"), 800), lambda m: len(m) == 1,
                              what="the owner joins the club at handover")
    customer_id, member_id = (json.loads(joined[0].value)[k] for k in ("customer_id", "member_id"))

    call = call_payload(1, kind="repair", body="顶楼客厅天花板漏水，下雨就滴", caller={"name": "钱女士", "phone": PHONE},
                        property={"project": "翠湖天地", "building": "2幢", "unit": "1801"})
    await send_json(producer, topics("call.received"), call, key=PHONE)
    cases = mongo[f"{namespace}_kefu_routing"].cases
    case = await eventually(lambda: cases.find_one({}), lambda c: c is not None, what="the case")
    assert case["customer_id"] == customer_id
    assert (case["department"], case["warranty"]["under_warranty"]) == ("engineering", True)

    async def visit_answered(csat: int, solved: bool, visits: int) -> dict:
        due = await eventually(lambda: read_all(infra, topics("survey.due"), 800), lambda m: len(m) == visits,
                               timeout=90, what=f"return visit {visits} due")
        survey = json.loads(due[-1].value)
        assert survey["kind"] == "repair_return_visit" and survey["case_id"] == case["_id"]
        told = await eventually(
            lambda: _async([m for m in sent_messages(outbox)
                            if m["recipient"] == f"customer:{customer_id}" and m["template"].startswith("survey")]),
            lambda msgs: len(msgs) == visits, what=f"owner told of visit {visits}")
        assert told[-1]["channel"] in ("sms", "wechat", "email") and told[-1]["to"] != PHONE  # masked
        async with auth.client(surveys.url, "agent") as client:  # the agent's phone return visit
            reply = await client.post(f"/surveys/{survey['survey_id']}/answers",
                                      json={"csat": csat, "solved": solved, "agent_id": "A07"})
            assert reply.status_code == 201, reply.text
            again = await client.post(f"/surveys/{survey['survey_id']}/answers",
                                      json={"csat": csat, "solved": solved, "agent_id": "A07"})
            assert again.status_code == 409
        return survey

    async with tokens.client(routing.url, "engineering") as eng:
        assert (await eng.post(f"/cases/{case['_id']}/work-order/complete",
                               json={"cost": "0", "note": "更换防水卷材"})).status_code == 200
        await visit_answered(2, False, 1)
        reopened = await eventually(lambda: cases.find_one({}), lambda c: c["status"] == "reopened",
                                    what="a dissatisfied owner reopens the case")
        assert reopened["level"] == 1 and reopened["escalations"][-1]["reason"] == "dissatisfied_return_visit"
        assert (await eng.post(f"/cases/{case['_id']}/work-order/complete",
                               json={"cost": "0", "note": "重新做防水"})).status_code == 200
        await visit_answered(5, True, 2)
    await eventually(lambda: cases.find_one({}), lambda c: c["status"] == "closed", what="closed when satisfied")

    async with auth.client(membership.url, "relations") as client:
        async def ledger() -> list[dict]:
            return (await client.get(f"/members/{member_id}/points")).json()["entries"]
        entries = await eventually(ledger, lambda e: len([x for x in e if "survey" in json.dumps(x)]) == 2,
                                   what="points for both answers")
    survey_credits = [e for e in entries if "survey" in json.dumps(e)]
    assert len(survey_credits) == 2, "one credit per answered visit, never twice"
    escalated = [json.loads(m.value) for m in await read_all(infra, topics("complaint.escalated"), 800)]
    assert [(e["reason"], e["level"]) for e in escalated] == [("dissatisfied_return_visit", 1)]


async def _async(value):
    return value
