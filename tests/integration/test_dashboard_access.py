"""The dashboard's API on the real store: who may read the boards, department scoping, summaries masked for the
analyst, consumer lag for operations too.

The dashboard's router on a FastAPI app with the kit's error handlers, the read model filled through
``ingest`` from contract events, called over ASGI with the suite's people (``support.auth``).
"""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from kefu_dashboard.api import build_router
from kefu_dashboard.feed import FeedHub
from kefu_dashboard.ingest import ingest
from kefu_dashboard.store import CaseStore, ensure_indexes
from kefu_kit.auth import TokenBook
from kefu_kit.http_errors import install_error_handlers
from kefu_kit.lag import LagMonitor
from unit.dashboard.dashboard_events import assigned, opened

from support import auth

pytestmark = pytest.mark.integration

PHONE = "13812345678"
SUMMARY = f"[complaint] 滨江花园 3幢 漏水 请回电 {PHONE}"


@pytest.fixture
async def api(mongo, namespace):
    db = mongo[f"{namespace}_kefu_dashboard"]
    await ensure_indexes(db)
    store = CaseStore(db)
    for case_id, department in (("case-e", "engineering"), ("case-p", "property")):
        for topic, event in (opened(case_id, event_id=f"{case_id}-o"),
                             assigned(case_id, department=department, summary=SUMMARY, event_id=f"{case_id}-a",
                                      respond_by=None, resolve_by=None)):
            await ingest(topic, event, store)
    app = FastAPI()
    install_error_handlers(app)
    lag = LagMonitor("127.0.0.1:1", "nobody.")  # never sampled here: /api/lag answers "no sample yet"
    app.include_router(build_router(store, FeedHub(store, timedelta(seconds=1)), lag, 10, 15.0))
    app.state.tokens = TokenBook(json.loads(auth.env()))

    def caller(who: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://dashboard",
                                 headers=auth.headers(who))
    return caller


async def test_department_staff_see_their_own_department_only(api):
    async with api("engineering") as eng:
        listed = await eng.get("/api/cases")
        assert listed.status_code == 200, listed.text
        assert [c["_id"] for c in listed.json()] == ["case-e"]
        assert (await eng.get("/api/cases/case-p")).status_code == 404
        refused = await eng.get("/api/summary", params={"department": "property"})
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
        summary = (await eng.get("/api/summary")).json()
        assert [row["department"] for row in summary["open_by_department"]] == ["engineering"]


async def test_the_analyst_gets_summaries_masked_and_the_manager_in_clear(api):
    async with api("analyst") as analyst, api("manager") as manager:
        masked = [(await analyst.get("/api/cases/case-e")).json()["summary"],
                  *(c["summary"] for c in (await analyst.get("/api/cases")).json())]
        clear = (await manager.get("/api/cases/case-e")).json()["summary"]
    assert clear == SUMMARY
    for text in masked:
        assert PHONE not in text and "138****5678" in text and text.startswith("[complaint] 滨江花园")


async def test_who_may_read_the_boards_and_the_lag(api):
    for who in ("agent", "relations", "ops", "adapter"):
        async with api(who) as client:
            for path in ("/api/me", "/api/summary", "/api/cases", "/api/cases/case-e"):
                r = await client.get(path)
                assert r.status_code == 403, (who, path, r.text)
    async with api("ops") as ops:  # operations watch consumer lag
        lag = await ops.get("/api/lag")
        assert lag.status_code == 200 and lag.json() == {"at": None, "groups": []}
    async with api("adapter") as adapter:
        assert (await adapter.get("/api/lag")).status_code == 403
    async with api("supervisor") as supervisor:
        me = (await supervisor.get("/api/me")).json()
        assert me == {"name": "supervisor", "role": "aftersales_supervisor", "department": None, "sees_all": True}


async def test_bad_filters_are_a_clear_422(api):
    async with api("manager") as manager:
        for params in ({"status": "已分配"}, {"status": "assigned2"}, {"level": "9"}, {"limit": "0"},
                       {"project": ""}, {"department": "x" * 65}, {"cursor": "!" * 513}, {"cursor": "bad"}):
            r = await manager.get("/api/cases", params=params)
            assert r.status_code == 422 and r.json()["code"] == "validation_error", (params, r.text)
