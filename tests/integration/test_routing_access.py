"""Routing's API on the real store: who may read and act, department scoping, PII masked for the analyst.

Routing's own router on a FastAPI app with the kit's error handlers, its repositories on the real
server, called over ASGI with the suite's people (``support.auth``).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from kefu_kit.auth import TokenBook
from kefu_kit.http_errors import install_error_handlers
from kefu_routing.adapters.store import CaseRepository, GroupRepository, RecentReports, TimerStore, VipStore, \
    ensure_indexes
from kefu_routing.api import build_router
from kefu_routing.context import Routing
from pymongo import AsyncMongoClient

from support import auth

pytestmark = pytest.mark.integration

NOW = datetime.now(timezone.utc).replace(microsecond=0)
PHONE, EMAIL, ID_NUMBER = "13812345678", "wang.li@example.com", "110101199003071234"
BODY = f"厨房漏水, 请回电 {PHONE} 或 {EMAIL}, 身份证 {ID_NUMBER}"


def case(i: int, department: str) -> dict[str, Any]:
    return {"_id": f"case-{i}", "department": department, "status": "in_progress", "level": 1, "kind": "complaint",
            "assignment_rule": "t", "correlation_id": f"call-{i}", "opened_event_id": f"co-{i}",
            "project": "P1", "building": "B1", "category": "leak", "customer_id": f"cust-{i}", "assignee": None,
            "subject": f"漏水 {PHONE}", "body": BODY, "overdue": [], "is_overdue": False,
            "opened_at": NOW - timedelta(minutes=i), "responded_at": NOW,
            "deadlines": {"respond_by": NOW + timedelta(hours=1), "resolve_by": NOW + timedelta(days=3), "rule": "t",
                          "reason": "", "missing_years": []}, "approvals": [], "pauses": [], "escalations": [],
            "timeline": [{"at": NOW, "type": "note", "text": f"业主说 {PHONE}", "actor": "agent"}], "applied": []}


@pytest.fixture(scope="module")
async def api(infra):
    client = AsyncMongoClient(infra.mongo_url, tz_aware=True)
    db = client[f"t{uuid.uuid4().hex[:12]}_routing"]
    await ensure_indexes(db)
    published: list[Any] = []

    async def publish(event: Any) -> None:
        published.append(event)

    r = Routing(cases=CaseRepository(db, publish), groups=GroupRepository(db, publish), timers=TimerStore(db),
                vips=VipStore(db), reports=RecentReports(db))
    for i, dept in enumerate(("engineering", "property", "engineering")):
        await r.cases.create(case(i, dept), [])
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(build_router(r))
    app.state.tokens = TokenBook(json.loads(auth.env()))

    def caller(who: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://routing",
                                 headers=auth.headers(who))
    yield caller
    await client.drop_database(db.name)
    await client.close()


async def test_department_staff_see_their_own_department_only(api):
    async with api("engineering") as eng:
        listed = await eng.get("/cases")
        assert listed.status_code == 200, listed.text
        assert sorted(c["_id"] for c in listed.json()) == ["case-0", "case-2"]
        assert (await eng.get("/cases/case-1")).status_code == 404  # property's case: as if it did not exist
        assert (await eng.post("/cases/case-1/notes", json={"text": "x"})).status_code == 404
        refused = await eng.get("/cases", params={"department": "property"})
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
        assert (await eng.get("/groups/g-1")).status_code == 403  # groups span departments: the center's


async def test_the_analyst_reads_cases_with_personal_data_masked(api):
    async with api("analyst") as analyst, api("specialist") as specialist:
        masked = (await analyst.get("/cases/case-0")).json()
        clear = (await specialist.get("/cases/case-0")).json()
        listed = {c["_id"]: c for c in (await analyst.get("/cases")).json()}
    assert clear["body"] == BODY and PHONE in clear["subject"] and PHONE in clear["timeline"][0]["text"]
    for text in (masked["body"], masked["subject"], masked["timeline"][0]["text"], listed["case-0"]["body"]):
        assert PHONE not in text and EMAIL not in text and ID_NUMBER not in text
    assert "138****5678" in masked["body"] and "厨房漏水" in masked["body"]  # still readable, only the PII goes
    assert {k for k in clear if k != "timeline"} == set(listed["case-0"])  # same fields, masked or not


async def test_roles_that_must_not_act_are_refused(api):
    async with api("ops") as ops, api("adapter") as adapter:
        for client in (ops, adapter):  # service accounts read no cases
            assert (await client.get("/cases")).status_code == 403
            assert (await client.get("/cases/case-0")).status_code == 403
    async with api("analyst") as analyst:
        refused = await analyst.post("/cases/case-0/notes", json={"text": "counted"})
        assert refused.status_code == 403 and "data_analyst" in refused.json()["detail"]
    async with api("engineering") as eng:  # the center closes and escalates, not the department
        assert (await eng.post("/cases/case-0/close")).status_code == 403
        assert (await eng.post("/cases/case-0/escalate", json={"level": 2})).status_code == 403
    async with api("agent") as agent:
        assert (await agent.post("/cases/case-0/resolve")).status_code == 403
        assert (await agent.post("/cases/case-0/approvals/ap-1/approve")).status_code == 403


async def test_the_hotline_agent_records_a_note_and_the_analyst_sees_it_masked(api):
    async with api("agent") as agent, api("analyst") as analyst:
        noted = await agent.post("/cases/case-2/notes", json={"text": f"业主再次来电 {PHONE}"})
        assert noted.status_code == 200, noted.text
        assert noted.json()["timeline"][-1]["text"] == f"业主再次来电 {PHONE}"
        assert noted.json()["timeline"][-1]["role"] == "hotline_agent"
        seen = (await analyst.get("/cases/case-2")).json()["timeline"][-1]["text"]
    assert seen.startswith("业主再次来电") and PHONE not in seen


async def test_approval_bodies_say_what_they_accept(api):
    async with api("engineering") as eng:
        for body in ({"kind": "plan"}, {"kind": "plan", "plan": ""}, {"kind": "cost", "amount": "abc"},
                     {"kind": "cost", "amount": "1.234"}, {"kind": "other"}):
            r = await eng.post("/cases/case-0/approvals", json=body)
            assert r.status_code == 422, (body, r.text)
        ok = await eng.post("/cases/case-0/approvals", json={"kind": "cost", "amount": "850.00"})
        assert ok.status_code == 200, ok.text
        assert ok.json()["approvals"][-1] | {"requested_at": None} == ok.json()["approvals"][-1] | {
            "requested_at": None, "kind": "cost", "amount": "850.00", "required_role": "complaint_specialist",
            "status": "pending"}


@pytest.mark.parametrize("params", [
    {"skip": "5058945604984546263040", "level": "3", "status": "已分配"},  # the fuzz finding (kefu issue 9): a 500
    {"skip": "10001"}, {"limit": "0"}, {"limit": "501"}, {"level": "4"}, {"status": "opened"}, {"kind": "电话"},
    {"department": ""}, {"department": "x" * 65}, {"cursor": "!" * 513}, {"cursor": "not-a-cursor"},
])
async def test_bad_list_parameters_are_a_clear_422(api, params):
    async with api("manager") as mgr:
        r = await mgr.get("/cases", params=params)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "validation_error" and body["errors"] and body["detail"].startswith("invalid input")
