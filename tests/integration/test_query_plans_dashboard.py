"""The dashboard's read model on the real store: every query served by an index, summary counts kept as
counters that match the cases, and ``GET /api/cases`` filtered and paged in the store.

Queries covered (store.py, report/api.py, feed; the filters are the code's own functions): cases by list
facet (with and without a cursor, every filter combination the API makes), the report's opened-in and
escalated-in month ranges; answers by month range and the project fill (by id and no project); feed since
an instant (sorted), the newest (sort + limit on the pruned feed), prune before an instant; counts by scope.
The quality report's (report/quality_api.py): cases opened from 90 days before a range, cases with a work
order completed in it, the return visits' cases by ``_id``.
``cases_revisions`` pruned before an instant.
Exempt: ``counts`` for the whole centre (``{}``): one document per (project, department) pair, a handful
that does not grow with the cases; every query of ``cases`` by id: the aggregate store's, covered by
``test_query_plans_aggregates``.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from kefu_dashboard.api import build_router
from kefu_dashboard.projection import OPEN_STATUSES
from kefu_dashboard.feed import FeedHub
from kefu_dashboard.ingest import ingest
from kefu_dashboard.report.api import answered_between, escalated_between, opened_between
from kefu_dashboard.report.quality import REPEAT_WINDOW
from kefu_dashboard.report.quality_api import cases_by_ids, completed_between, quality_source, repairs_opened_between
from kefu_dashboard.store import (
    LIST_KEY,
    CaseStore,
    answer_without_project,
    case_filter,
    counts_filter,
    ensure_indexes,
    feed_before,
    feed_since_filter,
    revisions_before,
)
from kefu_kit.auth import TokenBook
from kefu_kit.pages import page_queries
from pymongo import DESCENDING
from support.plans import assert_indexed
from unit.dashboard.dashboard_events import T0, answered, assigned, completed, escalated, opened, status

pytestmark = pytest.mark.integration

PROJECTS = ("滨江花园", "翠湖天地", "云栖")
DEPARTMENTS = ("engineering", "property", "customer_service")


async def fill(mongo, namespace: str, n: int = 90) -> CaseStore:
    db = mongo[f"{namespace}_kefu_dashboard"]
    await ensure_indexes(db)
    store = CaseStore(db)
    for i in range(n):
        case = f"case-{i:03d}"
        project, department = PROJECTS[i % 3], DEPARTMENTS[(i // 3) % 3]
        events = [opened(case, minute=i // 2, project=project, event_id=f"{case}-o"),
                  assigned(case, minute=i // 2 + 1, department=department, event_id=f"{case}-a")]
        if i % 4 == 0:
            events.append(status(case, "in_progress", "assigned", i // 2 + 5, department=department,
                                 project=project, event_id=f"{case}-p"))
        if i % 5 == 0:
            events.append(status(case, "resolved", "assigned", i // 2 + 9, department=department,
                                 project=project, event_id=f"{case}-r"))
        if i % 7 == 0:
            events.append(escalated(case, level=2, previous=1, minute=i // 2 + 20, department=department,
                                    project=project, event_id=f"{case}-e"))
        for topic, event in events:
            await ingest(topic, event, store)
            await ingest(topic, event, store)  # every event redelivered: counts must not move
    await ingest(*answered("case-001", survey_id="sv-1", project=None), store)
    return store


async def truth(store: CaseStore, **scope: str) -> Counter[str]:
    docs = await store.cases.find(scope).to_list()
    return Counter(d.get("status") or "unknown" for d in docs)


async def test_every_query_is_served_by_an_index(mongo, namespace):
    store = await fill(mongo, namespace)
    _, cursor = await store.page(case_filter({}), None, 5)
    assert cursor
    for filters in ({}, {"project": "云栖"}, {"department": "property"}, {"status": "open"},
                    {"project": "云栖", "department": "property", "status": "assigned", "level": 2},
                    {"grouped": True}):
        query = case_filter({k: filters[k] for k in ("project", "department") if k in filters},
                            status=filters.get("status"), level=filters.get("level"), grouped=filters.get("grouped"))
        for q, sort in page_queries(query, LIST_KEY, DESCENDING, cursor, window=(T0, T0 + timedelta(hours=1))):
            await assert_indexed(store.cases, q, sort=sort, limit=101, index="facets_1_list_at_-1__id_-1")
    start, end = T0 - timedelta(days=1), T0 + timedelta(days=30)
    await assert_indexed(store.cases, opened_between(start, end), index="opened_at_1")
    await assert_indexed(store.cases, escalated_between(start, end), index="escalations.at_1")
    await assert_indexed(store.answers, answered_between(start, end), index="answered_at_1")
    await assert_indexed(store.answers, answer_without_project("sv-1"))
    await store.add_to_feed({"_id": "f1", "recorded_at": T0, "case": {}})
    await assert_indexed(store.feed, feed_since_filter(T0), sort=[("recorded_at", 1)])
    await assert_indexed(store.feed, {}, sort=[("recorded_at", -1)], limit=20)
    await assert_indexed(store.feed, feed_before(T0))
    await assert_indexed(store.aggregates.revisions, revisions_before(T0), index="at_1")
    for scope in ({"project": "云栖"}, {"department": "property"}, {"project": "云栖", "department": "property"}):
        await assert_indexed(store.counts, counts_filter(scope))


async def test_summary_counts_are_counters_that_match_the_cases(mongo, namespace):
    store = await fill(mongo, namespace)
    for scope in ({}, {"project": "云栖"}, {"department": "property"}, {"project": "翠湖天地", "department": "engineering"}):
        board = await store.board(scope)
        assert board.by_status == dict(await truth(store, **scope)), scope
        assert sum(board.by_status.values()) == await store.cases.count_documents(scope)
    board = await store.board({})
    assert board.projects == sorted(PROJECTS) and board.departments == sorted(DEPARTMENTS)
    assert {c["_id"] for c in board.open_cases} == {
        d["_id"] for d in await store.cases.find({"status": {"$in": sorted(OPEN_STATUSES)}}).to_list()}


async def test_the_case_list_filters_and_pages_in_the_store(mongo, namespace):
    store = await fill(mongo, namespace)
    app = FastAPI()
    app.include_router(build_router(store, FeedHub(store, timedelta(seconds=1)), None, 10, 15.0))  # type: ignore[arg-type]
    token = "t-manager"
    app.state.tokens = TokenBook([{"token_sha256": hashlib.sha256(token.encode()).hexdigest(),
                                   "role": "cs_manager", "name": "经理"}])
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t", headers=headers) as c:
        for params, expect in (({}, {}), ({"department": "property", "status": "open"},
                                          {"department": "property", "status": {"$in": sorted(OPEN_STATUSES)}}),
                               ({"project": "云栖", "level": 2}, {"project": "云栖", "level": 2})):
            seen, cursor = [], None
            while True:
                r = await c.get("/api/cases", params={**params, "limit": 7, **({"cursor": cursor} if cursor else {})})
                assert r.status_code == 200, r.text
                assert len(r.json()) <= 7 and all("facets" not in x and "list_at" not in x for x in r.json())
                seen += [x["_id"] for x in r.json()]
                cursor = r.headers.get("X-Next-Cursor")
                if not cursor:
                    break
            every = await store.cases.find(expect).sort([("opened_at", -1), ("_id", -1)]).to_list()
            assert seen == [d["_id"] for d in every] and len(seen) == len(set(seen)) and seen, params
        assert (await c.get("/api/cases", params={"limit": 501})).status_code == 422
        assert (await c.get("/api/cases", params={"cursor": "%%%"})).status_code == 422
        late = (await c.get("/api/cases", params={"overdue": "true", "limit": 500})).json()
        assert late and all(x["status"] in OPEN_STATUSES for x in late)
        spec = (await c.get("/openapi.json")).json()
        assert "X-Next-Cursor" in spec["paths"]["/api/cases"]["get"]["responses"]["200"]["headers"]


async def test_the_quality_reports_reads_are_served_by_their_indexes_and_bounded(mongo, namespace):
    store = await fill(mongo, namespace)
    for i in range(45):  # repairs beside the 90 complaints; a work order completed for every third
        await ingest(*opened(f"rep-{i:03d}", minute=i, kind="repair", event_id=f"rep-{i:03d}-o"), store)
        if i % 3 == 0:
            await ingest(*completed(f"rep-{i:03d}", work_order=f"wo-{i}", minute=60 + i), store)
    await ingest(*completed("case-007", work_order="wo-c7", minute=100), store)  # a work order on a complaint
    start, end = T0 - timedelta(days=1), T0 + timedelta(days=30)
    await assert_indexed(store.cases, repairs_opened_between(start - REPEAT_WINDOW, end), index="kind_1_opened_at_1")
    await assert_indexed(store.cases, completed_between(start, end), index="work_orders.completed_at_1")
    await assert_indexed(store.cases, cases_by_ids(["case-001", "case-002"]), index="_id_")
    # Bounded: a range after every completion reads none of them.
    read = quality_source(store.cases, store.answers)
    cases, _ = await read(T0 + timedelta(days=200), T0 + timedelta(days=201))
    assert cases == []
    cases, answers = await read(T0 + timedelta(hours=1), T0 + timedelta(hours=3))
    # the repairs opened in the 90 days before, and the cases with a work order completed in the window
    assert {c["_id"] for c in cases} == {f"rep-{i:03d}" for i in range(45)} | {"case-007"}
    assert answers == []
    assert all("facts" not in c for c in cases)
