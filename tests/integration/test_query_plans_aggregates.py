"""Every query the aggregate store sends is served by an index on the real server.

The filters come from the store's own functions (``by_id``, ``revision_id``,
``history_filter``, ``due_outbox_filter``), so a change to a query is checked
here without editing this test.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from kefu_contracts import Event
from kefu_kit.aggregates import AggregateStore, Change, by_id, due_outbox_filter, history_filter, revision_id
from kefu_kit.mongo import in_filter

from support.plans import assert_indexed

pytestmark = pytest.mark.integration


async def _no_publish(_event: Event) -> None:
    return None


@pytest.fixture
async def store(mongo, namespace) -> AggregateStore:
    """A store with a few aggregates of several revisions each and some pending outbox entries."""
    db = mongo[f"{namespace}_aggregates"]
    s = AggregateStore(db, "things", _no_publish)
    await s.ensure_indexes()
    for i in range(30):
        await s.create({"_id": f"a{i}", "timeline": []}, [])
        for n in range(3):
            await s.mutate(f"a{i}", lambda st, n=n: Change({**st, "timeline": [*st["timeline"], n]}))
    old = datetime.now(timezone.utc) - timedelta(minutes=1)
    await s.outbox.insert_many([{"_id": f"a{i}|5|tok", "revision": f"a{i}|5", "token": "tok",
                                 "at": old + timedelta(seconds=i), "events": []} for i in range(30)])
    return s


async def test_snapshots_are_read_and_written_by_id(store):
    await assert_indexed(store.snapshots, by_id("a7"), index="_id_")


async def test_revisions_are_read_by_id(store):
    await assert_indexed(store.revisions, by_id(revision_id("a7", 2)), index="_id_")


async def test_history_asks_for_its_revision_ids(store):
    await assert_indexed(store.revisions, history_filter("a7", range(1, 5)), index="_id_")
    assert [t["rev"] for t in await store.history("a7")] == [1, 2, 3, 4]


async def test_the_relay_finds_old_outbox_entries_by_their_time(store):
    index = await assert_indexed(store.outbox, due_outbox_filter(datetime.now(timezone.utc) - timedelta(seconds=5)))
    assert index != "_id_"
    await assert_indexed(store.outbox, by_id("a7|5|tok"), index="_id_")


async def test_a_batch_reads_and_deletes_by_ids(store):
    """``create_many``: snapshots, revisions and outbox entries of a batch by ``_id`` (``find_in``'s filter)."""
    await assert_indexed(store.snapshots, in_filter("_id", [f"a{i}" for i in range(20)]), index="_id_")
    await assert_indexed(store.revisions, in_filter("_id", [revision_id(f"a{i}", 2) for i in range(20)]), index="_id_")
    await assert_indexed(store.outbox, in_filter("_id", [f"a{i}|5|tok" for i in range(20)]), index="_id_")
