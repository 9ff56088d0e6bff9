"""The aggregate store on the real server: concurrent writers lose nothing, dead writers' events still go out."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from kefu_contracts import CaseStatusChanged, Event
from kefu_kit.aggregates import AggregateStore, Change, NotFound

pytestmark = pytest.mark.integration


def status_event(case_id: str, n: int) -> CaseStatusChanged:
    return CaseStatusChanged(
        event_id=f"ev-{case_id}-{n}", occurred_at=datetime.now(timezone.utc), correlation_id="c", causation_id="c",
        case_id=case_id, customer_id="cust", status="in_progress", actor="test", kind="repair", department="engineering",
    )


async def test_concurrent_changes_are_all_kept(mongo, namespace):
    published: list[Event] = []

    async def publish(e: Event) -> None:
        published.append(e)

    db = mongo[f"{namespace}_aggregates"]
    stores = [AggregateStore(db, "things", publish) for _ in range(8)]
    await stores[0].create({"_id": "a1", "count": 0}, [])

    def increment(n: int):
        def fn(state: dict) -> Change:
            state["count"] += 1
            state.setdefault("seen", []).append(n)
            return Change(state, [status_event("a1", n)])
        return fn

    await asyncio.gather(*(stores[i % 8].mutate("a1", increment(i)) for i in range(24)))
    final = await stores[0].get("a1")
    assert final["count"] == 24 and final["rev"] == 25
    assert sorted(final["seen"]) == list(range(24))
    assert sorted(e.event_id for e in published) == sorted(f"ev-a1-{i}" for i in range(24))
    assert await db.things_outbox.count_documents({}) == 0
    assert [r["state"]["rev"] for r in await stores[0].history("a1")] == list(range(1, 26))


async def test_a_change_that_finds_nothing_to_do_writes_nothing(mongo, namespace):
    db = mongo[f"{namespace}_aggregates"]
    store = AggregateStore(db, "things", lambda e: asyncio.sleep(0))
    await store.create({"_id": "a2", "done": True}, [])
    assert (await store.mutate("a2", lambda s: None))["rev"] == 1
    with pytest.raises(NotFound):
        await store.mutate("missing", lambda s: None)


async def test_create_twice_returns_the_first(mongo, namespace):
    db = mongo[f"{namespace}_aggregates"]
    store = AggregateStore(db, "things", lambda e: asyncio.sleep(0))
    first, created = await store.create({"_id": "a3", "v": 1}, [])
    second, created_again = await store.create({"_id": "a3", "v": 2}, [])
    assert created and not created_again and second["v"] == 1


async def test_events_of_a_writer_that_died_after_its_claim_are_relayed(mongo, namespace):
    published: list[Event] = []

    async def publish(e: Event) -> None:
        published.append(e)

    db = mongo[f"{namespace}_aggregates"]
    store = AggregateStore(db, "things", publish)
    await store.create({"_id": "a4", "n": 0}, [])
    # a writer claimed revision 2 with its outbox entry, then died before snapshot and publish
    old = datetime.now(timezone.utc) - timedelta(seconds=30)
    event = status_event("a4", 2)
    await db.things_outbox.insert_one({"_id": "a4|2|tok", "revision": "a4|2", "token": "tok", "at": old,
                                       "events": [{"topic": "case.status_changed", "event": event.model_dump(mode="json")}]})
    await db.things_revisions.insert_one({"_id": "a4|2", "token": "tok", "at": old, "state": {"_id": "a4", "n": 1, "rev": 2}})
    # and another writer's claim failed, leaving an orphan entry that must not be published
    await db.things_outbox.insert_one({"_id": "a4|2|lost", "revision": "a4|2", "token": "lost", "at": old,
                                       "events": [{"topic": "case.status_changed",
                                                   "event": status_event("a4", 99).model_dump(mode="json")}]})
    assert await store.relay_once() == 1
    assert [e.event_id for e in published] == ["ev-a4-2"]
    assert await db.things_outbox.count_documents({}) == 0
    # the next change starts from the dead writer's revision, not the stale snapshot
    state = await store.mutate("a4", lambda s: Change({**s, "n": s["n"] + 1}))
    assert state["n"] == 2 and state["rev"] == 3


async def test_an_aggregate_whose_creator_died_before_its_snapshot_is_rebuilt(mongo, namespace):
    db = mongo[f"{namespace}_aggregates"]
    store = AggregateStore(db, "things", lambda e: asyncio.sleep(0))
    # the creator claimed revision 1 and died before writing the snapshot
    await db.things_revisions.insert_one({"_id": "a5|1", "token": "t", "at": datetime.now(timezone.utc),
                                          "state": {"_id": "a5", "v": 1, "rev": 1}})
    again, created = await store.create({"_id": "a5", "v": 99}, [])  # the redelivered cause
    assert not created and again["v"] == 1
    assert (await db.things.find_one({"_id": "a5"}))["v"] == 1  # the snapshot is back
    assert (await store.mutate("a5", lambda s: Change({**s, "v": 2})))["rev"] == 2


class LateSnapshots:
    """A writer's snapshot collection whose writes wait for a gate: a slow writer, made slow on purpose."""

    def __init__(self, real, gate: asyncio.Event) -> None:
        self._real, self._gate = real, gate

    async def replace_one(self, *args, **kwargs):
        await self._gate.wait()
        return await self._real.replace_one(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._real, name)


async def test_a_snapshot_write_that_lands_late_does_not_win(mongo, namespace):
    db = mongo[f"{namespace}_aggregates"]
    slow, fast = AggregateStore(db, "things", _no_publish), AggregateStore(db, "things", _no_publish)
    await fast.create({"_id": "a4", "count": 0}, [])
    gate = asyncio.Event()
    slow.snapshots = LateSnapshots(slow.snapshots, gate)

    def increment(state: dict) -> Change:
        state["count"] += 1
        return Change(state)

    late = asyncio.create_task(slow.mutate("a4", increment))  # claims revision 2, then waits to write it
    while await db.things_revisions.find_one({"_id": "a4|2"}) is None:
        await asyncio.sleep(0.01)
    assert (await fast.mutate("a4", increment))["rev"] == 3  # revision 3, snapshot written at once
    gate.set()  # now revision 2's snapshot write lands, after revision 3's
    await late
    final = await fast.get("a4")
    assert (final["rev"], final["count"]) == (3, 2)


async def _no_publish(_event: Event) -> None:
    return None
