"""The agent desk routes of intake on the real store: the caller's archive by phone, the live classifier, a call's case."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import json

import httpx
import pytest
from fastapi import FastAPI
from kefu_contracts import Caller
from kefu_intake.adapters.store import ContactLog, CustomerArchive, PropertyRegister, ensure_indexes
from kefu_intake.desk import build_router
from kefu_intake.domain.handover import register_key
from kefu_intake.domain.identity import identify
from kefu_kit.auth import TokenBook
from kefu_kit.http_errors import install_error_handlers

from support import auth
from support.plans import assert_indexed

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
UNIT = {"project": "翠湖天地", "building": "2幢", "unit": "1801"}


@pytest.fixture
async def desk(mongo, namespace):
    db = mongo[f"{namespace}_kefu_intake"]
    await ensure_indexes(db)
    archive, contacts, register = CustomerArchive(db), ContactLog(db), PropertyRegister(db)
    handed = datetime(2025, 1, 15, tzinfo=timezone.utc)
    await register.put(register_key(**UNIT), {**UNIT, "handover_date": handed})
    customer_id = await archive.find_or_create(identify(Caller(phone="13900007777")), name="钱女士", prop=UNIT,
                                               seen_at=NOW)
    await db.contacts.insert_one({"_id": "call-1", "customer_id": customer_id, "case_id": "case-1", "follow_up": False,
                                  "received_at": NOW, "body": "天花板漏水", "channel": "hotline",
                                  "classification": {"kind": "repair", "by": "rules", "category": "leak"}})
    await db.contacts.insert_one({"_id": "call-2", "customer_id": customer_id, "case_id": "case-1", "follow_up": True,
                                  "received_at": NOW + timedelta(hours=1), "body": "还在漏", "channel": "hotline",
                                  "classification": {"kind": "repair", "by": "rules"}})
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(build_router(archive, contacts, register))
    app.state.tokens = TokenBook(json.loads(auth.env()))

    def client(who: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake", headers=auth.headers(who))
    return client, db, customer_id


async def test_the_archive_is_found_by_the_phone_however_it_is_typed(desk):
    client, db, customer_id = desk
    async with client("agent") as c:
        for typed in ("13900007777", "+86 139-0000-7777", "0086 139 0000 7777"):
            reply = await c.get("/customers", params={"phone": typed})
            assert reply.status_code == 200, reply.text
            body = reply.json()
            assert body["customer"]["_id"] == customer_id and body["customer"]["name"] == "钱女士"
            assert body["customer"]["phones"] == ["+8613900007777"]
        (prop,) = body["customer"]["properties"]
        assert (prop["unit"], prop["handover_date"][:10]) == ("1801", "2025-01-15")
        assert [x["_id"] for x in body["contacts"]] == ["call-2", "call-1"], "newest contact first"
        assert (await c.get("/customers", params={"phone": "13900008888"})).status_code == 404
        bad = await c.get("/customers", params={"phone": "call me"})
        assert bad.status_code == 422 and bad.json()["code"]
    await assert_indexed(db.customer_keys, {"_id": "phone:+8613900007777"})


async def test_the_classifier_answers_what_intake_would_decide_and_the_agents_kind_wins(desk):
    client, _, _ = desk
    async with client("agent") as c:
        leak = (await c.post("/classify", json={"text": "卫生间天花板漏水，一直在滴"})).json()
        assert leak["kind"] == "repair" and leak["category"] and leak["rules"]
        gas = (await c.post("/classify", json={"text": "家里燃气泄漏，闻到很大的煤气味"})).json()
        assert gas["urgent_flags"], gas
        chosen = (await c.post("/classify", json={"text": "卫生间天花板漏水", "kind": "complaint"})).json()
        assert chosen["kind"] == "complaint"
        assert (await c.post("/classify", json={"text": ""})).status_code == 422
    async with client("analyst") as c:
        assert (await c.post("/classify", json={"text": "漏水"})).status_code == 403


async def test_a_calls_outcome_names_its_case_and_whether_it_followed_one_up(desk):
    client, _, customer_id = desk
    async with client("agent") as c:
        first = (await c.get("/calls/call-1")).json()
        assert (first["case_id"], first["follow_up"], first["customer_id"]) == ("case-1", False, customer_id)
        assert (await c.get("/calls/call-2")).json()["follow_up"] is True
        assert (await c.get("/calls/nope")).status_code == 404
    async with client("engineering") as c:
        assert (await c.get("/customers", params={"phone": "13900007777"})).status_code == 403
