"""GET /cases on the real store: pages by cursor walk every case once, filters match, bad parameters are 422.

Routing's own router on a plain FastAPI app (no broker: listing publishes nothing),
its repositories on the real server, called over ASGI.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import uuid

import httpx
import pytest
from fastapi import FastAPI
from pymongo import AsyncMongoClient
from kefu_kit.auth import TokenBook
from kefu_routing.adapters.store import (
    CaseRepository,
    GroupRepository,
    RecentReports,
    TimerStore,
    VipStore,
    ensure_indexes,
)
from kefu_routing.api import build_router
from kefu_routing.context import Routing
from support.routing_api import Tokens

pytestmark = pytest.mark.integration

NOW = datetime.now(timezone.utc).replace(microsecond=0)
DEPARTMENTS = ("engineering", "property", "customer_service")
KINDS = ("complaint", "repair", "inquiry", "suggestion")
STATUSES = ("assigned", "in_progress", "resolved", "closed", "reopened")
N = 230


def opened_at(i: int) -> datetime:
    """Dense today, sparse over years, and ties: the windows must grow, shrink and break ties by id."""
    if i < 120:
        return NOW - timedelta(minutes=3 * (i // 3))  # three cases per timestamp
    if i < 200:
        return NOW - timedelta(days=2 + 5 * (i - 120))
    return NOW - timedelta(days=800 + 40 * (i - 200))


def case(i: int) -> dict[str, Any]:
    return {"_id": f"case-{i:04d}", "department": DEPARTMENTS[i % 3], "status": STATUSES[i % 5], "level": i % 4,
            "kind": KINDS[i % 4], "project": f"P{i % 3}", "building": f"B{i % 2}", "category": "leak",
            "customer_id": f"cust-{i}", "assignee": None, "overdue": ["resolve"] if i % 6 == 0 else [],
            "is_overdue": i % 6 == 0, "opened_at": opened_at(i),
            "timeline": [{"at": opened_at(i), "type": "opened"}], "applied": [f"ev-{i}"]}


@pytest.fixture(scope="module")
def tokens() -> Tokens:
    return Tokens.make()


@pytest.fixture(scope="module")
async def api(infra, tokens):
    """One store for the module (230 cases written through the repository take a while), dropped after it."""
    client = AsyncMongoClient(infra.mongo_url, tz_aware=True)
    db = client[f"t{uuid.uuid4().hex[:12]}_routing"]
    await ensure_indexes(db)

    async def publish(_event: Any) -> None:
        raise AssertionError("listing publishes nothing")

    r = Routing(cases=CaseRepository(db, publish), groups=GroupRepository(db, publish), timers=TimerStore(db),
                vips=VipStore(db), reports=RecentReports(db))
    for i in range(N):
        await r.cases.create(case(i), [])
    app = FastAPI()
    app.include_router(build_router(r))
    app.state.tokens = TokenBook(json.loads(tokens.env()))

    def caller(who: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://routing",
                                 headers={"Authorization": f"Bearer {tokens.plain[who]}"})
    yield caller
    await client.drop_database(db.name)
    await client.close()


async def walk(client: httpx.AsyncClient, limit: int, **params: Any) -> tuple[list[dict[str, Any]], int]:
    seen: list[dict[str, Any]] = []
    cursor, pages = None, 0
    while True:
        response = await client.get("/cases", params={**params, "limit": limit, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page) <= limit
        pages += 1
        seen += page
        cursor = response.headers.get("X-Next-Cursor")
        if cursor is None:
            return seen, pages
        assert len(page) == limit  # a page with a next one is full
        assert pages <= N


def expected(**filters: Any) -> list[str]:
    cases = [case(i) for i in range(N)]
    chosen = [c for c in cases if all(c[k] == v for k, v in filters.items())]
    return [c["_id"] for c in sorted(chosen, key=lambda c: (c["opened_at"], c["_id"]), reverse=True)]


async def test_pages_walk_every_case_exactly_once_newest_first(api):
    async with api("manager") as mgr:
        seen, pages = await walk(mgr, 17)
    assert [c["_id"] for c in seen] == expected()
    assert pages == -(-N // 17)
    for c in seen:
        assert "timeline" not in c and "applied" not in c and "is_overdue" not in c  # bodies as before
    by_id = {c["_id"]: c for c in seen}
    assert by_id["case-0000"]["overdue"] == ["resolve"] and by_id["case-0000"]["department"] == "engineering"


@pytest.mark.parametrize("params, filters", [
    ({"department": "property"}, {"department": "property"}),
    ({"department": "property", "status": "resolved"}, {"department": "property", "status": "resolved"}),
    ({"status": "closed"}, {"status": "closed"}),
    ({"level": 2}, {"level": 2}),
    ({"kind": "repair", "department": "engineering"}, {"kind": "repair", "department": "engineering"}),
    ({"overdue": "true"}, {"is_overdue": True}),
    ({"overdue": "false", "department": "customer_service"}, {"is_overdue": False, "department": "customer_service"}),
    ({"project": "P1", "building": "B0"}, {"project": "P1", "building": "B0"}),
    ({"building": "B1", "level": 3, "status": "assigned"}, {"building": "B1", "level": 3, "status": "assigned"}),
])
async def test_filters_match_across_pages(api, params, filters):
    async with api("gm") as gm:
        seen, _ = await walk(gm, 7, **params)
    assert [c["_id"] for c in seen] == expected(**filters)
    assert seen  # the data has cases of every filter above


async def test_department_staff_page_through_their_own_department_only(api):
    async with api("engineering") as eng:
        seen, _ = await walk(eng, 20)
        assert [c["_id"] for c in seen] == expected(department="engineering")
        assert (await eng.get("/cases", params={"department": "property"})).status_code == 403


async def test_skip_still_works_within_its_bound(api):
    async with api("manager") as mgr:
        page = (await mgr.get("/cases", params={"skip": 40, "limit": 10})).json()
    assert [c["_id"] for c in page] == expected()[40:50]


@pytest.mark.parametrize("params", [
    {"limit": 0}, {"limit": 501}, {"limit": "many"}, {"skip": -1}, {"skip": 10_001},
    {"skip": "5058945604984546263040"}, {"level": 4}, {"level": "99999999999999999999999"},
    {"status": "open"}, {"kind": "bogus"}, {"overdue": "perhaps"}, {"cursor": "not-a-cursor"},
    {"cursor": "x" * 600}, {"department": "nowhere"}, {"project": "p" * 201},
])
async def test_bad_parameters_are_refused_clearly(api, params):
    async with api("manager") as mgr:
        response = await mgr.get("/cases", params=params)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail and detail[0]["loc"][0] == "query" and detail[0]["loc"][1] in params


async def test_the_openapi_document_declares_the_cursor_and_its_header(api):
    async with api("manager") as mgr:
        doc = (await mgr.get("/openapi.json")).json()
    get = doc["paths"]["/cases"]["get"]
    assert "cursor" in [p["name"] for p in get["parameters"]]
    assert "X-Next-Cursor" in get["responses"]["200"]["headers"]
