"""The surveys API on the real store, called as each kind of person: who may act, what they see of an owner,
and the owner's link (public, single use, expiring)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest
from fastapi import FastAPI
from kefu_kit.auth import TokenBook, load_token_entries
from kefu_kit.http_errors import install_error_handlers
from kefu_surveys.api import build_router
from kefu_surveys.context import Surveys

from integration.test_query_plans_surveys import context, fill
from support import auth

pytestmark = pytest.mark.integration


def client(r: Surveys, who: str | None) -> httpx.AsyncClient:
    """The routes in process with the kit's error shape; ``who`` None is an owner with no token."""
    app = FastAPI()
    app.include_router(build_router(r))
    app.state.tokens = TokenBook(load_token_entries(auth.env()))
    install_error_handlers(app)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t",
                             headers=auth.headers(who) if who else {})


async def open_survey(r: Surveys) -> dict:
    """An open return visit whose owner's phone is known (``fill`` gives known cases a number)."""
    return await r.surveys.surveys.find_one({"status": "open", "customer.phone": {"$exists": True}})


async def test_the_analyst_counts_surveys_without_seeing_the_owners_contact(mongo, namespace):
    r = context(mongo, namespace, [])
    await fill(r, n=10)
    survey = await open_survey(r)
    phone = survey["customer"]["phone"]
    async with client(r, "agent") as agent, client(r, "analyst") as analyst:
        assert (await agent.get(f"/surveys/{survey['_id']}")).json()["customer"]["phone"] == phone
        seen = (await analyst.get(f"/surveys/{survey['_id']}")).json()
        assert seen["customer"]["customer_id"] == survey["customer"]["customer_id"]
        assert seen["customer"]["phone"] != phone and phone[-4:] in seen["customer"]["phone"]
        listed = (await analyst.get("/surveys", params={"limit": 500})).json()
        assert listed and not any(phone in str(s) for s in listed)
        assert {s["_id"] for s in listed} == {s["_id"] for s in (await agent.get("/surveys?limit=500")).json()}
    for who in ("engineering", "ops", "adapter", "supervisor"):
        async with client(r, who) as other:
            refused = await other.get("/surveys")
            assert refused.status_code == 403 and refused.json()["code"] == "forbidden", who


async def test_only_those_who_make_return_visits_record_an_answer(mongo, namespace):
    r = context(mongo, namespace, [])
    await fill(r, n=10)
    survey = await open_survey(r)
    answer = {"csat": 1, "solved": False, "agent_id": "a-1"}  # dissatisfied: routing would reopen the case
    for who in ("specialist", "analyst", "manager", "gm", "engineering", "ops", "adapter"):
        async with client(r, who) as other:
            assert (await other.post(f"/surveys/{survey['_id']}/answers", json=answer)).status_code == 403, who
            assert (await other.post(f"/surveys/{survey['_id']}/link")).status_code == 403, who
    assert await r.answers.collection.find_one({"_id": survey["_id"]}) is None
    async with client(r, "relations") as relations:
        assert (await relations.post(f"/surveys/{survey['_id']}/answers", json=answer)).status_code == 201


async def test_campaigns_are_run_by_customer_relations_followed_by_managers_and_results_read_by_counters(
        mongo, namespace):
    r = context(mongo, namespace, [])
    body = {"project": "滨江花园", "owners": [{"customer_id": "C1"}]}
    for who in ("manager", "gm", "analyst", "agent"):
        async with client(r, who) as other:
            assert (await other.post("/campaigns", json=body)).status_code == 403, who
    async with client(r, "relations") as relations:
        created = await relations.post("/campaigns", json=body)
        assert created.status_code == 201, created.text
        cid = created.json()["campaign_id"]
        assert (await relations.post("/campaigns", json={**body, "questionnaire_id": "return-visit-v1"})
                ).status_code == 422, "only satisfaction questionnaires run as campaigns"
        assert (await relations.post("/campaigns", json={**body, "owners": []})).status_code == 422
    for who in ("manager", "gm"):
        async with client(r, who) as manager:
            assert (await manager.get(f"/campaigns/{cid}")).json()["total"] == 1
            assert (await manager.post(f"/campaigns/{cid}/pause")).status_code == 403
    for who, status in (("analyst", 200), ("manager", 200), ("gm", 200), ("specialist", 200), ("relations", 200),
                        ("agent", 403), ("engineering", 403), ("ops", 403)):
        async with client(r, who) as other:
            assert (await other.get("/results", params={"month": "2026-03"})).status_code == status, who


async def test_the_owners_link_needs_no_token_works_once_and_not_after_it_expires(mongo, namespace):
    r = context(mongo, namespace, [])
    await fill(r, n=10)
    first, second = await r.surveys.surveys.find({"status": "open", "customer.customer_id": {"$exists": True}}
                                                 ).limit(2).to_list()
    tomorrow = datetime.now(timezone.utc) + timedelta(days=1)  # ``fill`` works in March 2026: open them until then
    await r.surveys.surveys.update_many({"_id": {"$in": [first["_id"], second["_id"]]}},
                                        {"$set": {"expires_at": tomorrow}})
    async with client(r, "agent") as agent, client(r, None) as owner:
        used = (await agent.post(f"/surveys/{first['_id']}/link")).json()["token"]
        expiring = (await agent.post(f"/surveys/{second['_id']}/link")).json()["token"]
        assert (await owner.get(f"/s/{used}")).status_code == 200
        assert (await owner.post(f"/s/{used}", json={"csat": 4, "solved": True})).status_code == 201
        again = await owner.post(f"/s/{used}", json={"csat": 1, "solved": False})
        assert again.status_code == 410 and again.json()["code"] == "gone"

        assert (await owner.get(f"/s/{expiring}")).status_code == 200
        past = datetime.now(timezone.utc) - timedelta(seconds=1)
        await r.links.links.update_one({"survey_id": second["_id"]}, {"$set": {"expires_at": past}})  # time passes
        for response in (await owner.get(f"/s/{expiring}"),
                         await owner.post(f"/s/{expiring}", json={"csat": 4, "solved": True})):
            assert response.status_code == 410 and "expired" in response.json()["detail"]
    assert await r.answers.collection.find_one({"_id": second["_id"]}) is None, "an expired link records nothing"
    assert (await r.surveys.get(second["_id"])).status == "open"
