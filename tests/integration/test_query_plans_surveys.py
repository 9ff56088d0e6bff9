"""Surveys on the real store: every repository query is served by an index; a survey's owed ``survey.due``
is dropped once published (or the survey given up) and a redelivered event or a second scheduler run then
publishes nothing; campaign progress is counted once; ``GET /surveys`` filters and pages in the store.

Queries covered (adapters/store.py; the filters are the store's own functions): surveys by id, due (per
status, sort + limit), expired (sort + limit), waiting for a case, a step's claim, an owed entry's drop, the
relay's unsent, the list facets with and without a cursor; the legacy outbox's and the answers' relay,
answers by id and by results facet; customers by id and by project; cases, links, link uses by id;
campaigns running and by project; campaign owners by index range; campaign counts by id.
Exempt: the campaigns' aggregate queries (``kefu_kit.aggregates``: get, mutate, revisions: another
engineer's).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from fastapi import FastAPI
from kefu_contracts import Event, RepairCompleted
from kefu_kit.auth import TokenBook, load_token_entries
from kefu_kit.pages import page_queries
from kefu_surveys import answers, campaigns, return_visits, scheduler
from kefu_surveys.adapters.store import (
    LIST_KEY,
    AnswerStore,
    CampaignCounts,
    CampaignStore,
    CaseMap,
    CustomerStore,
    DueOutbox,
    LinkStore,
    Outbox,
    SurveyStore,
    backfill_list_fields,
    by_id,
    due_filter,
    ensure_indexes,
    expired_filter,
    legacy_unsent_filter,
    links_expired_before,
    uses_before,
    list_filter,
    of_project,
    owed_filter,
    owners_filter,
    pending_for_case_filter,
    project_filter,
    results_filter,
    running_filter,
    step_filter,
    unlisted,
    unsent_filter,
)
from kefu_surveys.api import build_router
from kefu_surveys.context import Surveys
from kefu_surveys.domain.surveys import Survey
from kefu_surveys.events import survey_answered, survey_due
from kefu_surveys.settings import Settings
from pymongo import ASCENDING
from support import auth
from support.plans import assert_indexed

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)


def context(mongo, namespace: str, published: list[Event]) -> Surveys:
    db = mongo[f"{namespace}_kefu_surveys"]

    async def publish(event: Event) -> None:
        published.append(event)

    surveys, counts = SurveyStore(db), CampaignCounts(db)
    return Surveys(settings=Settings(), surveys=surveys,
                   outbox=DueOutbox(surveys, publish, counts, legacy=Outbox(db.outbox, publish)),
                   answers=AnswerStore(db.answers, publish), links=LinkStore(db), customers=CustomerStore(db),
                   cases=CaseMap(db), campaigns=CampaignStore(db, publish), counts=counts)


def repaired(i: int) -> RepairCompleted:
    return RepairCompleted(event_id=f"rep-{i}", occurred_at=T0, correlation_id=f"c-{i}", causation_id=f"c-{i}",
                           case_id=f"K{i}", work_order_id=f"W{i}", project="滨江花园", building="1", unit="101",
                           department="engineering", under_warranty=True, cost={"amount": "0"}, completed_at=T0)


async def known_case(r: Surveys, i: int) -> None:
    await r.cases.learn(f"K{i}", f"C{i}", "engineering", "滨江花园")
    await r.customers.learn(f"C{i}", {"phone": f"1390000{i:04d}"}, "滨江花园")


async def fill(r: Surveys, n: int = 60) -> None:
    await ensure_indexes(r.surveys.surveys.database)
    for i in range(n):
        if i % 5:
            await known_case(r, i)
        await return_visits.repair_completed(repaired(i), r, T0)
    await scheduler.run_once(r, T0 + 2 * DAY)  # the known ones open; the others open for an agent's call
    for i in (i for i in range(n) if i % 4 == 1 and i % 5):  # answered (by the agent) where the owner is known
        await answers.record(r, f"{(await r.surveys.surveys.find_one({'case_id': f'K{i}'}))['_id']}",
                             {"csat": 5, "solved": True}, "agent:a1", "agent", T0 + 2 * DAY)


async def test_every_repository_query_is_served_by_an_index(mongo, namespace):
    r = context(mongo, namespace, [])
    await fill(r)
    created = await campaigns.create(r, "滨江花园", "satisfaction-v1", 600, [{"customer_id": f"C{i}"} for i in range(9)],
                                     T0)
    s = await r.surveys.surveys.find_one({"status": "open"})
    surveys = r.surveys.surveys
    await assert_indexed(surveys, by_id(s["_id"]))
    for status in ("scheduled", "pending_customer"):
        await assert_indexed(surveys, due_filter(status, T0), sort=[(LIST_KEY, 1)], limit=500)
    await assert_indexed(surveys, expired_filter(T0), sort=[("expires_at", 1)], limit=500)
    await assert_indexed(surveys, pending_for_case_filter("K1"))
    await assert_indexed(surveys, step_filter(Survey.from_doc(s)), index="_id_1_status_1_attempt_1")
    await assert_indexed(surveys, owed_filter(s["_id"], "ev"), index="_id_1_outbox._id_1")
    await assert_indexed(surveys, unsent_filter(T0), index="outbox.send_at_1")
    await assert_indexed(surveys, unlisted())
    await assert_indexed(r.answers.collection, unlisted())
    _, cursor = await r.surveys.page({}, None, 5)
    assert cursor
    for filters in ({}, {"status": "open"}, {"kind": "repair_return_visit", "case_id": "K3"},
                    {"status": "open", "kind": "periodic_satisfaction", "campaign_id": created["_id"]}):
        for q, sort in page_queries(list_filter(**filters), LIST_KEY, ASCENDING, cursor, window=(T0, T0 + DAY)):
            await assert_indexed(surveys, q, sort=sort, limit=101, index="facets_1_due_at_1__id_1")
    for coll in (r.outbox.legacy.collection, r.answers.collection):
        await assert_indexed(coll, legacy_unsent_filter(T0))
        await assert_indexed(coll, by_id(s["_id"]))
    for filters in ({}, {"month": "2026-03"}, {"project": "滨江花园", "department": "engineering"}):
        await assert_indexed(r.answers.collection, results_filter(**filters))
    await assert_indexed(r.customers.customers, by_id("C1"))
    await assert_indexed(r.customers.customers, of_project("滨江花园"), sort=[("_id", 1)])
    for coll in (r.cases.cases, r.links.links, r.links.uses, r.counts.counts, r.surveys.bounds):
        await assert_indexed(coll, by_id("K1"))
    await assert_indexed(r.campaigns.snapshots, running_filter())
    await assert_indexed(r.campaigns.snapshots, project_filter("滨江花园"))
    await assert_indexed(r.campaigns.owners, owners_filter(created["_id"], 0, 5), sort=[("idx", 1)])
    # pruning owners' links: expired ones and old uses, by their own indexes
    await r.links.add("a" * 64, s["_id"], T0, T0)
    await r.links.use("a" * 64, T0)
    await assert_indexed(r.links.links, links_expired_before(T0), index="expires_at_1")
    await assert_indexed(r.links.uses, uses_before(T0), index="at_1")
    assert await r.links.prune(T0 + 40 * DAY, timedelta(days=30)) == 1
    assert await r.links.get("a" * 64) is None and not await r.links.used("a" * 64)


async def test_owed_events_are_dropped_once_published_and_nothing_publishes_twice(mongo, namespace):
    published: list[Event] = []
    r = context(mongo, namespace, published)
    await ensure_indexes(r.surveys.surveys.database)
    for i in range(6):
        await known_case(r, i)
        await return_visits.repair_completed(repaired(i), r, T0)
    due = T0 + 2 * DAY
    await asyncio.gather(*(scheduler.run_once(r, due) for _ in range(3)))  # three instances at once
    assert sorted(e.survey_id for e in published) == sorted(
        s["_id"] for s in await r.surveys.surveys.find({}).to_list()) and len(published) == 6
    assert await r.surveys.surveys.count_documents({"outbox": {"$exists": True}}) == 0  # pruned once published
    for i in range(6):  # Kafka redelivers every repair, the scheduler runs again
        await return_visits.repair_completed(repaired(i), r, T0)
    await scheduler.run_once(r, due)
    assert len(published) == 6 and await r.surveys.surveys.count_documents({}) == 6
    # no answer: retried once on another channel, then unreachable; each step once, nothing left owed
    await asyncio.gather(*(scheduler.run_once(r, due + 4 * DAY) for _ in range(2)))
    assert [e.survey_id for e in published[6:]].count(published[0].survey_id) == 1 and len(published) == 12
    await asyncio.gather(*(scheduler.run_once(r, due + 8 * DAY) for _ in range(2)))
    assert {s["status"] for s in await r.surveys.surveys.find({}).to_list()} == {"unreachable"}
    assert len(published) == 12 and await r.surveys.surveys.count_documents({"outbox": {"$exists": True}}) == 0
    await scheduler.run_once(r, due + 30 * DAY)
    assert len(published) == 12


async def test_a_step_whose_writer_died_is_relayed_once_and_campaign_counts_count_once(mongo, namespace):
    published: list[Event] = []
    r = context(mongo, namespace, published)
    await ensure_indexes(r.surveys.surveys.database)
    await known_case(r, 1)
    await return_visits.repair_completed(repaired(1), r, T0)
    (survey,) = [Survey.from_doc(doc) for doc in await r.surveys.surveys.find({}).to_list()]
    event = survey_due(survey, 1, "sms", T0, T0 + DAY, T0)
    opened = survey.opened(survey.customer, "sms", T0 + DAY, T0).owing(DueOutbox.entry(event, T0, None))
    assert await r.surveys.claim(survey, opened)  # then the writer died
    assert not await r.surveys.claim(survey, opened)
    await r.outbox.relay(T0 + timedelta(minutes=5))
    await r.outbox.relay(T0 + timedelta(minutes=6))
    assert [e.event_id for e in published] == [event.event_id]
    created = await campaigns.create(r, "滨江花园", "satisfaction-v1", 600, [{"customer_id": f"C{i}"} for i in range(4)],
                                     T0)
    batch = {"start": 0, "count": 4, "first_slot": T0, "spacing_s": 0.1}
    entries = await campaigns._store_batch(r, created, batch, T0)
    again = await campaigns._store_batch(r, created, batch, T0)  # the next claim re-stores it
    await r.outbox.mark_sent([e for e, _ in entries])
    await r.outbox.mark_sent([e for e, _ in again])  # and a second writer marks it too
    await r.outbox.relay(T0 + DAY)
    assert (await r.counts.of(created["_id"]))["published"] == 4
    progress = await campaigns.progress(r, created)
    assert (progress["published"], progress["answered"]) == (4, 0)
    one = entries[0][0].survey_id
    await answers.record(r, one, {"csat": 4, "nps": 9}, "agent:a", "agent", T0)
    assert (await campaigns.progress(r, created))["answered"] == 1


async def test_claims_a_writer_left_unsent_are_relayed_once_from_their_stored_shape(mongo, namespace):
    """The legacy outbox and the answers hold claims that carry their event: one of an earlier version,
    stored as it was, and an answer whose writer died before its publish each go out once, then are marked."""
    published: list[Event] = []
    r = context(mongo, namespace, published)
    db = r.surveys.surveys.database
    await ensure_indexes(db)
    await known_case(r, 1)
    await return_visits.repair_completed(repaired(1), r, T0)
    (survey,) = [Survey.from_doc(doc) for doc in await r.surveys.surveys.find({}).to_list()]
    due = survey_due(survey, 1, "sms", T0, T0 + DAY, T0)
    await db.outbox.insert_one({"_id": due.event_id, "topic": "survey.due", "event": due.model_dump(mode="json"),
                                "send_at": T0, "sent": False})
    answered = survey_answered(survey, "C1", {"csat": 4, "nps": 9}, T0)
    assert await r.answers.claim(survey.id, answered, T0, survey_id=survey.id, month="2026-03")
    assert await r.outbox.relay(T0 - timedelta(minutes=1)) == 0  # not yet due: its writer may be publishing
    assert await r.outbox.relay(T0 + timedelta(minutes=5)) == 1
    assert await r.answers.relay(T0 + timedelta(minutes=5)) == 1
    assert published == [due, answered]
    assert await r.outbox.relay(T0 + DAY) == 0 and await r.answers.relay(T0 + DAY) == 0
    assert (await db.outbox.find_one(by_id(due.event_id)))["sent"]
    assert (await db.answers.find_one(by_id(survey.id)))["sent"]


async def test_the_list_filters_and_pages_in_the_store(mongo, namespace):
    r = context(mongo, namespace, [])
    await fill(r, n=45)
    app = FastAPI()
    app.include_router(build_router(r))
    app.state.tokens = TokenBook(load_token_entries(auth.env()))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t",
                                 headers=auth.headers("manager")) as c:
        for params, expect in (({}, {}), ({"status": "open"}, {"status": "open"}),
                               ({"status": "answered", "kind": "repair_return_visit"},
                                {"status": "answered", "kind": "repair_return_visit"})):
            seen, cursor = [], None
            while True:
                page = await c.get("/surveys", params={**params, "limit": 8, **({"cursor": cursor} if cursor else {})})
                assert page.status_code == 200 and len(page.json()) <= 8
                assert all("facets" not in x and "outbox" not in x for x in page.json())
                seen += [x["_id"] for x in page.json()]
                cursor = page.headers.get("X-Next-Cursor")
                if not cursor:
                    break
            every = await r.surveys.surveys.find(expect).sort([("due_at", 1), ("_id", 1)]).to_list()
            assert seen == [x["_id"] for x in every] and seen, params
        one = (await c.get("/surveys", params={"case_id": "K7"})).json()
        assert [x["case_id"] for x in one] == ["K7"]
        assert "facets" not in (await c.get(f"/surveys/{one[0]['_id']}")).json()
        assert (await c.get("/surveys", params={"limit": 501})).status_code == 422
        assert (await c.get("/surveys", params={"cursor": "zz"})).status_code == 422
        results = (await c.get("/results", params={"month": "2026-03"})).json()
        assert results["filters"] == {"month": "2026-03"}
        spec = (await c.get("/openapi.json")).json()
        assert "X-Next-Cursor" in spec["paths"]["/surveys"]["get"]["responses"]["200"]["headers"]


async def test_surveys_stored_before_list_fields_get_them_at_start(mongo, namespace):
    r = context(mongo, namespace, [])
    await fill(r, n=4)
    one = await r.surveys.surveys.find_one({"case_id": "K2"})
    await r.surveys.surveys.update_one({"_id": one["_id"]}, {"$unset": {"facets": ""}})
    assert await backfill_list_fields(r.surveys.surveys.database) == 1
    assert await backfill_list_fields(r.surveys.surveys.database) == 0
    found, _ = await r.surveys.page({"case_id": "K2", "status": one["status"]}, None, 10)
    assert [s.id for s in found] == [one["_id"]]
