"""A customer's club tier by customer id (the agent's workspace), on the real store."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from kefu_contracts import Contact
from kefu_kit.auth import TokenBook
from kefu_kit.http_errors import install_error_handlers
from kefu_membership.domain.members import member_id_for
from kefu_membership.joining import join
from kefu_membership.context import Cause, Club
from kefu_membership.adapters.store import ActivityStore, Benefits, Ledger, MemberStore, Referrals, ensure_indexes
from kefu_membership.lookup import build_router

from support import auth
from support.plans import assert_indexed


pytestmark = pytest.mark.integration
T0 = datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc)


async def club_of(mongo, namespace: str) -> Club:
    db = mongo[f"{namespace}_kefu_membership"]
    await ensure_indexes(db)

    async def publish(event: Any) -> None:
        return None

    return Club(members=MemberStore(db, publish), activities=ActivityStore(db, publish), ledger=Ledger(db),
                benefits=Benefits(db), referrals=Referrals(db))


async def test_a_members_tier_and_balance_by_customer_id(mongo, namespace):
    club = await club_of(mongo, namespace)
    member, _ = await join(club, customer_id="C77", contact=Contact(name="钱女士", phone="13900007777"), properties=[],
                           source="application", cause=Cause("app-77", "app-77"), now=T0)
    await club.ledger.credit(member.id, 120, "survey", "sv-77", T0)
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(build_router(club))
    app.state.tokens = TokenBook(json.loads(auth.env()))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://m",
                                 headers=auth.headers("agent")) as c:
        body = (await c.get("/customers/C77/member")).json()
        assert (body["member_id"], body["customer_id"], body["balance"]) == (member.id, "C77", 120)
        assert body["tier"] == member.tier and body["tier_name"] and isinstance(body["vip"], bool)
        assert "contact" not in body
        missing = await c.get("/customers/C78/member")
        assert missing.status_code == 404 and missing.json()["code"]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://m",
                                 headers=auth.headers("engineering")) as c:
        assert (await c.get("/customers/C77/member")).status_code == 403
    await assert_indexed(mongo[f"{namespace}_kefu_membership"].members, {"_id": member_id_for("C77")})
