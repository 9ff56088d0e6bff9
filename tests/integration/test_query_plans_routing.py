"""Every query routing sends to its store is served by an index (explain() on the real store).

The filters come from ``kefu_routing.adapters.queries``, the functions the
repositories call; the case list's windows are recorded from ``read_page`` itself
while it pages through real data, so this test checks what the code really sends.

Exempt, and why:
* ``CaseRepository.backfill``: ``find({}).sort(opened_at).limit(1)`` and
  ``{is_overdue: {$exists: false}}`` scan the cases, once per database (a mark in
  ``routing_meta`` says they ran), at startup, for cases stored before this change.
* The aggregate store's own queries on ``cases``/``groups`` and their ``_revisions``
  and ``_outbox`` (``_id`` point reads, the outbox relay, ``history``): owned by
  ``kefu_kit.aggregates`` and tested there.
* The kit's ``/stats`` (``count_documents({})`` of cases, groups, timers): an
  operator's look, not a hot path; it belongs to the kit.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from kefu_kit.mongo import IN_CHUNK, in_filter
from kefu_routing.adapters import queries as q
from kefu_routing.adapters.case_pages import read_page
from kefu_routing.adapters.store import OLDEST_CASE, ensure_indexes
from support.plans import assert_indexed

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)
DEPARTMENTS = ("engineering", "property", "sales")
KINDS = ("complaint", "repair", "inquiry")
STATUSES = ("assigned", "in_progress", "resolved", "closed")


def name_of(collection: str, keys: list[str]) -> str:
    """The name of the index in ``queries.INDEXES`` with exactly these keys (fails if there is none)."""
    for model in q.INDEXES[collection]:
        if list(model.document["key"]) == keys:
            return q.index_name(model)
    raise AssertionError(f"no index on {collection} {keys}")


def list_index(shape: tuple[str, ...]) -> str:
    return q.index_name(q.case_list_index(shape))


@pytest.fixture
async def db(mongo, namespace):
    db = mongo[f"{namespace}_routing"]
    await ensure_indexes(db)
    cases = [{
        "_id": f"case-{i:04d}", "department": DEPARTMENTS[i % 3], "status": STATUSES[i % 4], "level": i % 4,
        "kind": KINDS[i % 3], "project": f"P{i % 5}", "building": f"B{i % 7}", "category": "leak",
        "customer_id": f"cust-{i % 40}", "assignee": f"p{i % 6}", "is_overdue": i % 5 == 0,
        "awaiting_approval": i % 4 == 1,
        "overdue": ["resolve"] if i % 5 == 0 else [], "opened_at": NOW - timedelta(hours=7 * i),
        "timeline": [], "applied": [],
    } for i in range(600)]
    await db.cases.insert_many(cases)
    await db.routing_meta.insert_one({"_id": OLDEST_CASE, "at": min(c["opened_at"] for c in cases)})
    await db.recent_reports.insert_many([
        {k: c[k] for k in ("_id", "customer_id", "kind", "project", "building", "category", "opened_at")}
        for c in cases])
    await db.groups.insert_many([
        {"_id": f"g-{i}", "key": f"P{i % 5}|B{i % 7}|leak", "active": i % 10 == 0,
         "last_member_at": NOW - timedelta(hours=i)} for i in range(300)])
    await db.defect_signals.insert_many([
        {"_id": f"s-{i}", "key": f"P{i % 5}|B{i % 7}|plumbing", "first_reported_at": NOW - timedelta(hours=5 * i)}
        for i in range(300)])
    await db.timers.insert_many([
        {"_id": f"case-{i:04d}|resolve|x", "case_id": f"case-{i:04d}", "which": "resolve",
         "due_at": NOW + timedelta(minutes=10 * (i - 20))} for i in range(600)])
    await db.parked.insert_many([
        {"_id": f"followup-{i}", "aggregate_id": f"case-{i % 150:04d}", "topic": "case.followed_up",
         "occurred_at": NOW - timedelta(minutes=i), "parked_at": NOW - timedelta(minutes=3 * i),
         "record": {"topic": "x", "partition": 0, "offset": i, "key": None, "value": b"{}", "headers": []}}
        for i in range(600)])
    await db.vip_customers.insert_many([
        {"_id": f"cust-{i}", "vip": i % 2 == 0, "tier": "gold", "event_id": f"e{i}", "at": NOW} for i in range(200)])
    return db


class Recording:
    """The real collection, noting every filter ``find`` gets (to explain them afterwards)."""

    def __init__(self, collection: Any) -> None:
        self.collection = collection
        self.filters: list[dict[str, Any]] = []

    def find(self, query: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        self.filters.append(query)
        return self.collection.find(query, *args, **kwargs)


@pytest.mark.parametrize("filters", [
    {}, {"department": "engineering"}, {"department": "engineering", "status": "assigned"},
    {"department": "property", "level": 2}, {"department": "sales", "kind": "inquiry"},
    {"department": "engineering", "is_overdue": True}, {"status": "closed"}, {"level": 3}, {"kind": "complaint"},
    {"is_overdue": False}, {"awaiting_approval": True}, {"department": "engineering", "awaiting_approval": True},
    {"project": "P1"}, {"project": "P1", "building": "B2"},
    {"department": "engineering", "status": "assigned", "level": 0},  # a combination: the best shape + the rest
])
async def test_every_window_of_a_case_list_rides_its_index(db, filters):
    snapshots = Recording(db.cases)
    after = None
    pages = 0
    while True:
        page, after = await read_page(snapshots, filters, limit=10, after=after, oldest=NOW - timedelta(hours=7 * 599),
                                      now=NOW)
        pages += 1
        if after is None:
            break
    assert pages > 1 and len(snapshots.filters) > pages  # several pages, several windows each: a real walk
    shape = max((s for s in q.CASE_LIST_SHAPES if set(s) <= set(filters)), key=len)
    for query in snapshots.filters:
        assert "opened_at" in query  # never an unbounded read
        await assert_indexed(db.cases, query, index=list_index(shape))


async def test_the_workload_count_reads_a_departments_open_cases_by_index(db):
    # aggregate() lifts a leading $match into the same index lookup as find()
    await assert_indexed(db.cases, q.open_cases_of("engineering"),
                         index=list_index(("department", "status")))


async def test_groups_are_found_by_key_and_closed_by_the_active_ones_age(db):
    await assert_indexed(db.groups, q.active_group("P1|B2|leak"), index=name_of("groups", ["key", "active"]))
    await assert_indexed(db.groups, q.groups_ended(NOW - timedelta(hours=72)),
                         index=name_of("groups", ["active", "last_member_at"]))


async def test_batch_defect_signals_near_a_burst_are_a_range_of_one_keys_starts(db):
    await assert_indexed(db.defect_signals, q.signals_near("P1|B2|plumbing", NOW - timedelta(days=28), NOW),
                         index=name_of("defect_signals", ["key", "first_reported_at"]))


async def test_due_timers_are_a_range_of_due_at(db):
    await assert_indexed(db.timers, q.timers_due(NOW), sort=[("due_at", 1)], limit=500,
                         index=name_of("timers", ["due_at"]))
    await assert_indexed(db.timers, q.timer("case-0001|resolve|x"))


async def test_recent_reports_are_read_by_owner_by_building_and_pruned_by_age(db):
    since = NOW - timedelta(days=30)
    await assert_indexed(db.recent_reports, q.reports_of_customers(["cust-3", "cust-4", "cust-9"]),
                         index=name_of("recent_reports", ["customer_id", "kind", "opened_at"]))
    await assert_indexed(db.recent_reports, q.reports_of_customer("cust-3", "complaint", since),
                         index=name_of("recent_reports", ["customer_id", "kind", "opened_at"]))
    await assert_indexed(db.recent_reports, q.reports_in_building("P1", "B2", "leak", "repair", since),
                         index=name_of("recent_reports", ["project", "building", "category", "kind", "opened_at"]))
    # the batch-defect check's read: a building's in-unit repairs of one category over its (longer) window
    await assert_indexed(db.recent_reports, q.reports_in_building("P1", "B2", "leak", "repair",
                                                                  NOW - timedelta(days=14)),
                         index=name_of("recent_reports", ["project", "building", "category", "kind", "opened_at"]))
    await assert_indexed(db.recent_reports, q.reports_older_than(since),
                         index=name_of("recent_reports", ["opened_at"]))


async def test_vips_and_routing_meta_are_point_reads(db):
    await assert_indexed(db.vip_customers, q.vip("cust-4"))
    await assert_indexed(db.vip_customers, q.vip_not_newer_than("cust-4", NOW),
                         index=name_of("vip_customers", ["_id", "at"]))
    await assert_indexed(db.routing_meta, q.meta(OLDEST_CASE))


async def test_a_batch_reads_the_cases_it_refers_to_by_their_ids(db):
    # ``CaseRepository.snapshots_of`` reads them with the kit's ``find_in``, a hundred ids a query
    await assert_indexed(db.cases, in_filter("_id", [f"case-{i:04d}" for i in range(0, 600, 7)][:IN_CHUNK]))


async def test_parked_events_are_found_by_their_cases_expired_by_age_and_deleted_by_id(db):
    await assert_indexed(db.parked, q.parked_for([f"case-{i:04d}" for i in range(0, 150, 3)]),
                         index=name_of("parked", ["aggregate_id"]))
    await assert_indexed(db.parked, q.parked_for(["case-0007"]), index=name_of("parked", ["aggregate_id"]))
    await assert_indexed(db.parked, q.parked_before(NOW - timedelta(days=1)), limit=500,
                         index=name_of("parked", ["parked_at"]))
    await assert_indexed(db.parked, q.parked("followup-3"))
