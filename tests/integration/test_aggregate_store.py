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


def case_like(case_id: str) -> dict:
    return {"_id": case_id, "status": "open", "assignee": None, "note": "厨房漏水", "opened_at": datetime.now(timezone.utc),
            "timeline": [{"action": "opened", "at": datetime.now(timezone.utc)}]}


def follow_up(n: int):
    def fn(state: dict) -> Change:
        state["status"] = "in_progress" if n % 2 else "assigned"
        state["assignee"] = f"staff-{n}"
        state["timeline"].append({"action": state["status"], "n": n, "at": datetime.now(timezone.utc)})
        if n == 3:
            del state["note"]
        return Change(state)
    return fn


async def test_revisions_hold_the_change_and_history_replays_every_state(mongo, namespace):
    db = mongo[f"{namespace}_aggregates"]
    store = AggregateStore(db, "things", _no_publish)
    first, _ = await store.create(case_like("c1"), [])
    await store.create(case_like("c1|x"), [])  # an id that extends c1's: its revisions are not c1's
    states = [first]
    for n in range(1, 13):  # past revision 10: "c1|10" sorts before "c1|2" as a string
        states.append(await store.mutate("c1", follow_up(n)))
    one = await db.things_revisions.find_one({"_id": "c1|1"})
    assert one["state"]["timeline"] == [{"action": "opened", "at": one["state"]["timeline"][0]["at"]}]
    twelve = await db.things_revisions.find_one({"_id": "c1|13"})
    assert "state" not in twelve
    assert twelve["diff"]["push"] == {"timeline": [{"action": "assigned", "n": 12, "at": twelve["diff"]["push"]["timeline"][0]["at"]}]}
    assert twelve["diff"]["set"] == {"assignee": "staff-12", "status": "assigned", "rev": 13}
    assert (await db.things_revisions.find_one({"_id": "c1|4"}))["diff"]["unset"] == ["note"]

    trail = await store.history("c1")
    assert [t["rev"] for t in trail] == list(range(1, 14))
    assert [t["state"]["rev"] for t in trail] == list(range(1, 14))
    stored = [await _as_stored(db, s) for s in states]
    assert [t["state"] for t in trail] == stored
    assert trail[0]["change"] is None and trail[12]["change"]["set"]["assignee"] == "staff-12"
    assert all(t["at"] is not None and t["token"] for t in trail)
    assert [t["rev"] for t in await store.history("c1|x")] == [1]


async def _as_stored(db, state: dict) -> dict:
    """``state`` as the server gives it back (datetimes to the millisecond), via a scratch collection."""
    await db.scratch.replace_one({"_id": state["_id"]}, state, upsert=True)
    return await db.scratch.find_one({"_id": state["_id"]})


class DyingSnapshots:
    """A writer that dies right after its claim: its snapshot write never happens."""

    def __init__(self, real) -> None:
        self._real = real

    async def replace_one(self, *args, **kwargs):
        raise ConnectionError("the writer died after its claim")

    def __getattr__(self, name):
        return getattr(self._real, name)


async def test_a_change_claimed_by_a_writer_that_died_is_replayed_onto_the_snapshot(mongo, namespace):
    db = mongo[f"{namespace}_aggregates"]
    store, dying = AggregateStore(db, "things", _no_publish), AggregateStore(db, "things", _no_publish)
    await store.create(case_like("c2"), [])
    await store.mutate("c2", follow_up(1))
    dying.snapshots = DyingSnapshots(dying.snapshots)
    with pytest.raises(ConnectionError):
        await dying.mutate("c2", follow_up(2))  # claimed revision 3 as a diff, no snapshot
    assert (await db.things.find_one({"_id": "c2"}))["rev"] == 2
    assert [len(t["state"]["timeline"]) for t in await store.history("c2")] == [1, 2, 3]  # the audit trail has it
    state = await store.mutate("c2", follow_up(3))  # raced on revision 3, replays it, then writes 4
    assert state["rev"] == 4 and [e.get("n") for e in state["timeline"]] == [None, 1, 2, 3]
    assert await db.things.find_one({"_id": "c2"}) == await _as_stored(db, state)


async def test_a_missing_snapshot_is_rebuilt_from_revision_1_and_the_diffs(mongo, namespace):
    db = mongo[f"{namespace}_aggregates"]
    store = AggregateStore(db, "things", _no_publish)
    await store.create(case_like("c3"), [])
    for n in range(1, 6):
        last = await store.mutate("c3", follow_up(n))
    await db.things.delete_one({"_id": "c3"})
    rebuilt = await store.get("c3")
    assert rebuilt == await _as_stored(db, last)
    assert await db.things.find_one({"_id": "c3"}) == rebuilt  # and written back


async def test_revisions_stored_whole_by_the_old_format_are_still_read(mongo, namespace):
    db = mongo[f"{namespace}_aggregates"]
    store = AggregateStore(db, "things", _no_publish)
    at = datetime.now(timezone.utc)
    for rev in (1, 2, 3):  # a store made before diffs: every revision holds its whole state
        await db.things_revisions.insert_one({"_id": f"c4|{rev}", "token": f"t{rev}", "at": at,
                                              "state": {"_id": "c4", "rev": rev, "seen": list(range(rev))}})
    await db.things.insert_one({"_id": "c4", "rev": 2, "seen": [0, 1]})  # its last writer died before the snapshot
    state = await store.mutate("c4", lambda s: Change({**s, "seen": [*s["seen"], 3]}))
    assert (state["rev"], state["seen"]) == (4, [0, 1, 2, 3])
    assert (await db.things_revisions.find_one({"_id": "c4|4"}))["diff"] == {"set": {"rev": 4}, "push": {"seen": [3]}}
    assert [t["state"]["seen"] for t in await store.history("c4")] == [[0], [0, 1], [0, 1, 2], [0, 1, 2, 3]]
    await db.things.delete_one({"_id": "c4"})
    assert (await store.get("c4"))["seen"] == [0, 1, 2, 3]


async def test_history_leaves_out_revisions_whose_base_was_pruned(mongo, namespace):
    db = mongo[f"{namespace}_aggregates"]
    store = AggregateStore(db, "things", _no_publish)
    await store.create(case_like("c5"), [])
    for n in range(1, 4):
        await store.mutate("c5", follow_up(n))
    await db.things_revisions.delete_many({"_id": {"$in": ["c5|1", "c5|2"]}})  # the dashboard prunes old claims
    assert await store.history("c5") == []
    assert (await store.get("c5"))["rev"] == 4  # the snapshot is the state


async def test_the_relay_creates_the_outbox_index_on_its_first_run(mongo, namespace):
    db = mongo[f"{namespace}_aggregates"]
    store = AggregateStore(db, "things", _no_publish)
    await store.create({"_id": "c6"}, [])
    assert not any(v["key"] == [("at", 1)] for v in (await db.things_outbox.index_information()).values())
    assert await store.relay_once() == 0
    assert any(v["key"] == [("at", 1)] for v in (await db.things_outbox.index_information()).values())


class Recorder:
    """A publish function that keeps what it was given, in order."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    async def __call__(self, event: Event) -> None:
        await asyncio.sleep(0)  # let other aggregates' publishes interleave, as real acks do
        self.events.append(event)


async def test_create_many_creates_each_once_and_publishes_each_aggregates_events_in_order(mongo, namespace):
    db = mongo[f"{namespace}_aggregates"]
    published = Recorder()
    store = AggregateStore(db, "batch", published)
    new = [({"_id": f"b{i}", "v": i}, [status_event(f"b{i}", 1), status_event(f"b{i}", 2)]) for i in range(150)]
    new.append(({"_id": "b3", "v": "again"}, [status_event("b3", 9)]))  # the same id twice in one batch
    results = await store.create_many(new)
    assert [created for _, created in results] == [True] * 150 + [False]
    assert results[-1][0]["v"] == 3 and results[3][0] == {"_id": "b3", "v": 3, "rev": 1}
    assert await db.batch.count_documents({}) == 150 and await db.batch_outbox.count_documents({}) == 0
    assert (await store.get("b149")) == {"_id": "b149", "v": 149, "rev": 1}
    assert [r["state"] for r in await store.history("b7")] == [{"_id": "b7", "v": 7, "rev": 1}]
    ids = [e.event_id for e in published.events]
    assert sorted(ids) == sorted(f"ev-b{i}-{n}" for i in range(150) for n in (1, 2))  # nothing of the repeat
    assert all(ids.index(f"ev-b{i}-1") < ids.index(f"ev-b{i}-2") for i in range(150))


async def test_create_many_again_returns_what_is_stored_and_publishes_nothing(mongo, namespace):
    db = mongo[f"{namespace}_aggregates"]
    published = Recorder()
    store = AggregateStore(db, "batch", published)
    await store.create({"_id": "c0", "v": 0}, [])
    await store.mutate("c0", lambda s: Change({**s, "v": "changed"}))
    # c1's creator died after its claim, before its snapshot
    await db.batch_revisions.insert_one({"_id": "c1|1", "token": "t", "at": datetime.now(timezone.utc),
                                         "state": {"_id": "c1", "v": 1, "rev": 1}})
    results = await store.create_many([({"_id": f"c{i}", "v": "redelivered"}, [status_event(f"c{i}", 1)])
                                       for i in range(3)])
    assert [(state["v"], state["rev"], created) for state, created in results] == [
        ("changed", 2, False), (1, 1, False), ("redelivered", 1, True)]
    assert [e.event_id for e in published.events] == ["ev-c2-1"]
    assert (await db.batch.find_one({"_id": "c1"}))["v"] == 1  # the snapshot is back
    assert await db.batch_outbox.count_documents({}) == 0  # the lost claims' entries are gone too


async def test_racing_batches_create_each_aggregate_once(mongo, namespace):
    db = mongo[f"{namespace}_aggregates"]
    published = Recorder()
    stores = [AggregateStore(db, "race", published) for _ in range(4)]
    batches = [[({"_id": f"r{i}", "by": n}, [status_event(f"r{i}", n)]) for i in range(n * 10, n * 10 + 60)]
               for n in range(4)]  # each overlaps the next one's first 50 ids
    results = await asyncio.gather(*(s.create_many(b) for s, b in zip(stores, batches)))
    winners: dict[str, int] = {}
    for batch in results:
        for state, created in batch:
            if created:
                assert state["_id"] not in winners, "two writers both created one aggregate"
                winners[state["_id"]] = state["by"]
    stored = {doc["_id"]: doc["by"] for doc in await db.race.find({}).to_list()}
    assert stored == winners and len(stored) == 90
    for batch in results:  # everyone got the state that was stored, won or lost
        assert all(state["by"] == stored[state["_id"]] for state, _ in batch)
    assert sorted(e.event_id for e in published.events) == sorted(f"ev-{i}-{n}" for i, n in stored.items())
    assert await db.race_outbox.count_documents({}) == 0


async def test_mutate_many_changes_each_once_and_falls_back_alone_when_raced(mongo, namespace):
    db = mongo[f"{namespace}_aggregates"]
    published = Recorder()
    store = AggregateStore(db, "many", published)
    await store.create_many([({"_id": f"m{i}", "n": 0}, []) for i in range(120)])
    # m5's next revision was claimed by a writer that died before its snapshot: m5's claim loses, then
    # ``mutate`` catches up and applies the change on top of the dead writer's
    await db.many_revisions.insert_one({"_id": "m5|2", "token": "dead", "at": datetime.now(timezone.utc),
                                        "diff": {"set": {"n": 10, "rev": 2}}})

    def bump(i: int):
        def fn(state: dict) -> Change | None:
            if i == 7:
                return None  # nothing to do: written nowhere
            return Change({**state, "n": state["n"] + 1, "by": i}, [status_event(f"m{i}", 1), status_event(f"m{i}", 2)])
        return fn

    after = await store.mutate_many([(f"m{i}", bump(i)) for i in range(120)])
    assert [s["_id"] for s in after] == [f"m{i}" for i in range(120)]
    assert after[7] == {"_id": "m7", "n": 0, "rev": 1}
    assert after[5]["n"] == 11 and after[5]["rev"] == 3
    assert all(s["n"] == 1 and s["rev"] == 2 for i, s in enumerate(after) if i not in (5, 7))
    assert {d["_id"]: d["n"] for d in await db.many.find({}).to_list()} == {s["_id"]: s["n"] for s in after}
    ids = [e.event_id for e in published.events]
    assert sorted(ids) == sorted(f"ev-m{i}-{n}" for i in range(120) if i != 7 for n in (1, 2))
    assert all(ids.index(f"ev-m{i}-1") < ids.index(f"ev-m{i}-2") for i in range(120) if i != 7)
    assert await db.many_outbox.count_documents({}) == 0
    assert [r["state"]["n"] for r in await store.history("m9")] == [0, 1]
    with pytest.raises(NotFound):
        await store.mutate_many([("m1", bump(1)), ("nobody", bump(2))])
    with pytest.raises(ValueError):
        await store.mutate_many([("m1", bump(1)), ("m1", bump(1))])


async def test_a_change_that_copies_its_input_gets_the_state_itself_and_its_revision_is_still_a_diff(
        mongo, namespace):
    """``copies_input``: no deep copy first (a typed repository validates and dumps, which copies already)."""
    db = mongo[f"{namespace}_aggregates"]
    store = AggregateStore(db, "things", lambda e: asyncio.sleep(0))
    await store.create({"_id": "a9", "items": [1], "other": {"x": 1}}, [])
    given: list[dict] = []

    class Copying:
        copies_input = True

        def __call__(self, state: dict) -> Change:
            given.append(state)
            return Change({**state, "items": [*state["items"], 2]})  # a new document; ``state`` left alone

    for mutate in (store.mutate("a9", Copying()), store.mutate_many([("a9", Copying())])):
        await mutate
    first, second = given
    assert first["items"] == [1] and second["items"] == [1, 2], "each got the stored state, unchanged by the change"
    assert (await store.get("a9"))["items"] == [1, 2, 2]
    diffs = [h["change"] for h in await store.history("a9")][1:]
    assert diffs == [{"set": {"rev": 2}, "push": {"items": [2]}}, {"set": {"rev": 3}, "push": {"items": [2]}}]
