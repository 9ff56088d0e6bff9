"""Documents changed by several writers at once, safely on every MongoDB-compatible server.

FerretDB 1.24 applies updates as read-modify-write without locking: two writers
updating one document (even with a version-checked filter) can lose one change.
Inserts guarded by a unique ``_id`` are safe everywhere. So a change to an
aggregate (a case, say) is claimed by inserting revision ``n+1``
(``<id>|<n+1>``): exactly one writer wins, the loser reloads and retries.

Revision 1 holds the whole initial state (``state``); revision n+1 holds only the
change from revision n (``diff``, see ``revisions``), so a case whose timeline
grows with each change costs bytes in proportion to the changes, not O(k^2).
Revisions written before that held whole states; a revision with ``state`` is
read as a full state wherever it appears. The snapshot is a fast copy, repaired
by applying the newer revisions' changes onto it when behind (a writer died
between its claim and its snapshot write); the revisions are the audit trail.

Events a change must publish ride in an outbox entry written *before* the
revision claim, tagged with a random token that the revision repeats. The
writer publishes right after its claim; a relay loop republishes entries whose
writer died, and discards entries whose claim failed (their token is not the
revision's). Event ids are deterministic, so a double publish is a repeat that
consumers drop.
"""

from __future__ import annotations

import asyncio
import copy
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Generic, TypeVar

from kefu_contracts import Event
from pymongo import ASCENDING, ReplaceOne
from pymongo.asynchronous.database import AsyncDatabase

from . import outbox as owed
from . import revisions
from .kafka import Publish, publish_all
from .mongo import chunks, find_in, in_filter, insert_new, insert_once


class ConcurrentChange(Exception):
    """Too many writers raced for the same aggregate; the caller may retry later."""


class NotFound(KeyError):
    """No aggregate with that id."""


S = TypeVar("S")


@dataclass
class Change(Generic[S]):
    """What a change function returns: the new state and the events it owes.

    The store takes ``Change[dict]`` (documents); a service whose aggregate is a typed
    model may decide on ``Change[ItsModel]`` and convert at its repository (routing's cases).
    """

    state: S
    events: list[Event] = field(default_factory=list)


ChangeFn = Callable[[dict[str, Any]], "Change[dict[str, Any]] | None"]


def _given(fn: ChangeFn, state: dict[str, Any]) -> dict[str, Any]:
    """What ``fn`` is handed: a private deep copy of ``state``, which it may change in place.

    A change function that never changes its argument, because it builds what it returns
    from it (a repository that validates the document into a model and dumps the model
    back), says so with ``fn.copies_input = True`` and gets ``state`` itself: the deep copy,
    often the costliest step of a change, would copy what it is about to copy again.
    """
    return state if getattr(fn, "copies_input", False) else copy.deepcopy(state)


# Every filter the store sends, from these functions: tests/integration/test_query_plans_aggregates.py
# checks each against the real server's query plans, so none can drift into a scan.

def revision_id(agg_id: str, rev: int) -> str:
    return f"{agg_id}|{rev}"


def by_id(doc_id: str) -> dict[str, Any]:
    """A snapshot, a revision or an outbox entry by its ``_id`` (the default unique index)."""
    return {"_id": doc_id}


def history_filter(agg_id: str, revs: range) -> dict[str, Any]:
    """Revisions ``revs`` of one aggregate by their ids: ``$in`` on ``_id``.

    Not an ``_id`` range (``<id>|`` to ``<id>}``): SecantusDB serves ``$in`` on
    ``_id`` from the index but scans for any range on ``_id``, even one-sided.
    """
    return {"_id": {"$in": [revision_id(agg_id, n) for n in revs]}}


def due_outbox_filter(cutoff: datetime) -> dict[str, Any]:
    """Outbox entries older than ``cutoff``: their writer died or is very late (index on ``at``)."""
    return {"at": {"$lt": cutoff}}


HISTORY_BATCH = 500  # revision ids per history query


def _state_after(previous: dict[str, Any], revision: dict[str, Any]) -> dict[str, Any]:
    """The state a revision records: its own ``state`` if it has one (revision 1, old format), else its change applied."""
    if "state" in revision:
        return revision["state"]
    return revisions.apply(previous, revision["diff"])


class AggregateStore:
    """Snapshots in ``<name>``, revisions in ``<name>_revisions``, pending events in ``<name>_outbox``."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]], name: str, publish: Publish, max_attempts: int = 20):
        self.snapshots = db[name]
        self.revisions = db[f"{name}_revisions"]
        self.outbox = db[f"{name}_outbox"]
        self._publish = publish
        self._max_attempts = max_attempts
        self._indexed = False

    async def ensure_indexes(self) -> None:
        """The one index the store needs beyond ``_id``: the relay's look for old outbox entries.

        Snapshots and revisions are read by ``_id`` only (the history too, as an
        ``$in`` of revision ids), so they need none. Called by the relay on its first run, so a
        service gets the index without wiring; idempotent, a service may call it too.
        """
        await self.outbox.create_index([("at", ASCENDING)])
        self._indexed = True

    async def get(self, agg_id: str) -> dict[str, Any] | None:
        """The current state; rebuilt from the revisions when its creator died before writing the snapshot."""
        snapshot = await self.snapshots.find_one(by_id(agg_id))
        if snapshot is not None:
            return snapshot
        first = await self.revisions.find_one(by_id(revision_id(agg_id, 1)))
        if first is None:
            return None
        return await self._catch_up(first["state"], repair=True)  # revision 1 always holds a whole state

    async def create(self, state: dict[str, Any], events: list[Event]) -> tuple[dict[str, Any], bool]:
        """Create at revision 1; if it exists (a redelivery), return the stored one and False."""
        state = {**state, "rev": 1}
        if await self._commit(state["_id"], 1, state, {"state": state}, events):
            return state, True
        existing = await self.get(state["_id"])
        assert existing is not None, "revision 1 exists, so the aggregate does"
        return existing, False

    async def create_many(self, new: list[tuple[dict[str, Any], list[Event]]]) -> list[tuple[dict[str, Any], bool]]:
        """``create`` for a batch: (state, events) pairs in, (stored state, created) out, in their order.

        The same claims as one ``create`` at a time, in a handful of bulk commands for the
        whole batch instead of six per aggregate: the outbox entries in one insert, the
        revision-1 claims in one unordered insert (a duplicate is a redelivery, or another
        writer that got there first), the winners' snapshots in one insert (never a
        replace: a snapshot there already was written by a newer revision's writer and is
        newer), one read for newer revisions to catch up with, the events (each
        aggregate's in their order, aggregates at once), then the outbox entries deleted
        in one command. An id given twice is created once; its later entries get the first
        one's state and False.
        """
        now = datetime.now(timezone.utc)
        claims: dict[str, dict[str, Any]] = {}
        for state, events in new:
            if state["_id"] not in claims:
                claims[state["_id"]] = {"state": {**state, "rev": 1}, "events": events, "token": secrets.token_hex(8)}
        outbox = {agg_id: self._outbox_entry(revision_id(agg_id, 1), c["token"], c["events"], now)
                  for agg_id, c in claims.items() if c["events"]}
        if outbox:
            await self.outbox.insert_many(list(outbox.values()), ordered=False)
        lost = await insert_new(self.revisions, [
            {"_id": revision_id(agg_id, 1), "token": c["token"], "at": now, "state": c["state"]}
            for agg_id, c in claims.items()])
        lost_ids = {rev_id.rsplit("|", 1)[0] for rev_id in lost}
        won = [agg_id for agg_id in claims if agg_id not in lost_ids]
        stored: dict[str, dict[str, Any]] = {agg_id: claims[agg_id]["state"] for agg_id in won}
        await self._drop_outbox([outbox[agg_id]["_id"] for agg_id in lost_ids if agg_id in outbox])
        await insert_new(self.snapshots, [stored[agg_id] for agg_id in won])
        for doc in await find_in(self.revisions, "_id", [revision_id(agg_id, 2) for agg_id in won], {"_id": 1}):
            agg_id = doc["_id"].rsplit("|", 1)[0]  # changed already by another writer: the snapshot must show it
            await self._catch_up(stored[agg_id])

        await self._publish_each([claims[agg_id]["events"] for agg_id in won])
        await self._drop_outbox([outbox[agg_id]["_id"] for agg_id in won if agg_id in outbox])
        if lost_ids:
            existing = {doc["_id"]: doc for doc in await find_in(self.snapshots, "_id", sorted(lost_ids))}
            for agg_id in sorted(lost_ids - existing.keys()):  # its creator died before the snapshot
                existing[agg_id] = await self.get(agg_id)  # type: ignore[assignment]
            stored.update(existing)
        results: list[tuple[dict[str, Any], bool]] = []
        first = set(won)
        for state, _ in new:
            agg_id = state["_id"]
            results.append((stored[agg_id], agg_id in first))
            first.discard(agg_id)
        return results

    async def mutate_many(self, changes: list[tuple[str, ChangeFn]]) -> list[dict[str, Any]]:
        """``mutate`` for a batch: one change each for different aggregates; their states after, in order.

        The snapshots in one read, each change decided on its own copy, then the claims,
        snapshots and outbox in bulk commands as ``create_many`` does. A claim that loses
        (another writer changed the aggregate since the read, or died before its
        snapshot) is retried alone by ``mutate``, which catches up first; so is an id whose
        snapshot is missing (``mutate`` rebuilds it, or raises ``NotFound``).
        """
        ids = [agg_id for agg_id, _ in changes]
        if len(set(ids)) != len(ids):
            raise ValueError("mutate_many takes one change per aggregate")
        current = {doc["_id"]: doc for doc in await find_in(self.snapshots, "_id", ids)}
        now = datetime.now(timezone.utc)
        results: dict[str, dict[str, Any]] = {}
        claims: dict[str, dict[str, Any]] = {}
        alone: list[str] = [agg_id for agg_id in ids if agg_id not in current]
        for agg_id, fn in changes:
            if agg_id not in current:
                continue
            before = current[agg_id]
            change = fn(_given(fn, before))
            if change is None:
                results[agg_id] = before
                continue
            rev = before["rev"] + 1
            state = {**change.state, "_id": agg_id, "rev": rev}
            claims[agg_id] = {"state": state, "events": change.events, "token": secrets.token_hex(8),
                              "rev_id": revision_id(agg_id, rev), "diff": revisions.diff(before, state)}
        outbox = {agg_id: self._outbox_entry(c["rev_id"], c["token"], c["events"], now)
                  for agg_id, c in claims.items() if c["events"]}
        if outbox:
            await self.outbox.insert_many(list(outbox.values()), ordered=False)
        lost = await insert_new(self.revisions, [
            {"_id": c["rev_id"], "token": c["token"], "at": now, "diff": c["diff"]} for c in claims.values()])
        won = [agg_id for agg_id, c in claims.items() if c["rev_id"] not in lost]
        alone += [agg_id for agg_id, c in claims.items() if c["rev_id"] in lost]
        await self._drop_outbox([outbox[a]["_id"] for a, c in claims.items() if c["rev_id"] in lost and a in outbox])
        if won:
            await self.snapshots.bulk_write(
                [ReplaceOne(by_id(agg_id), claims[agg_id]["state"], upsert=True) for agg_id in won], ordered=False)
        for agg_id in won:
            results[agg_id] = claims[agg_id]["state"]
        newer = [revision_id(agg_id, claims[agg_id]["state"]["rev"] + 1) for agg_id in won]
        for doc in await find_in(self.revisions, "_id", newer, {"_id": 1}):
            agg_id = doc["_id"].rsplit("|", 1)[0]  # a later writer's snapshot may have landed before this one
            results[agg_id] = await self._catch_up(claims[agg_id]["state"])

        await self._publish_each([claims[agg_id]["events"] for agg_id in won])
        await self._drop_outbox([outbox[agg_id]["_id"] for agg_id in won if agg_id in outbox])
        fns = dict(changes)
        for agg_id in alone:
            results[agg_id] = await self.mutate(agg_id, fns[agg_id])
        return [results[agg_id] for agg_id in ids]

    async def _publish_each(self, owed: list[list[Event]]) -> None:
        """Each aggregate's events in their order: all sent, then one wait for all their acks."""
        await publish_all(self._publish, [event for events in owed for event in events])

    def _outbox_entry(self, rev_id: str, token: str, events: list[Event], now: datetime) -> dict[str, Any]:
        return {"_id": f"{rev_id}|{token}", "revision": rev_id, "token": token, "at": now,
                "events": [owed.encode(e) for e in events]}

    async def _drop_outbox(self, entry_ids: list[str]) -> None:
        for part in chunks(entry_ids):
            await self.outbox.delete_many(in_filter("_id", part))

    async def mutate(self, agg_id: str, fn: ChangeFn) -> dict[str, Any]:
        """Apply ``fn`` to the current state and commit it as the next revision; retry when raced.

        ``fn`` gets a private copy (``_given``) and returns a ``Change`` or None for "nothing
        to do" (it must itself recognise a change already applied: that is what makes
        redelivered commands idempotent).
        """
        raced = False
        for _ in range(self._max_attempts):
            current = await self.get(agg_id)
            if current is None:
                raise NotFound(agg_id)
            if raced:  # the winner may have died before writing its snapshot
                current = await self._catch_up(current)
            change = fn(_given(fn, current))
            if change is None:
                return current
            rev = current["rev"] + 1
            state = {**change.state, "_id": agg_id, "rev": rev}
            # current is exactly revision rev-1 (a snapshot or a replay of it), so the
            # diff replays onto it; should another writer claim rev first, it is discarded
            if await self._commit(agg_id, rev, state, {"diff": revisions.diff(current, state)}, change.events):
                return state
            raced = True
            await asyncio.sleep(0.005)
        raise ConcurrentChange(f"{agg_id}: {self._max_attempts} writers in a row changed it first")

    async def _commit(
        self, agg_id: str, rev: int, state: dict[str, Any], record: dict[str, Any], events: list[Event],
    ) -> bool:
        """Claim revision ``rev`` (``record``: its ``state`` or its ``diff``), then snapshot and publish."""
        rev_id = revision_id(agg_id, rev)
        token = secrets.token_hex(8)
        now = datetime.now(timezone.utc)
        if events:
            await self.outbox.insert_one(self._outbox_entry(rev_id, token, events, now))
        if not await insert_once(self.revisions, {"_id": rev_id, "token": token, "at": now, **record}):
            if events:
                await self.outbox.delete_one(by_id(f"{rev_id}|{token}"))
            return False
        await self.snapshots.replace_one(by_id(agg_id), state, upsert=True)
        await self._catch_up(state)  # a later revision's snapshot may have landed before this one
        await publish_all(self._publish, events)
        if events:
            await self.outbox.delete_one(by_id(f"{rev_id}|{token}"))
        return True

    async def _catch_up(self, snapshot: dict[str, Any], repair: bool = False) -> dict[str, Any]:
        """The newest state, written to the snapshot when the snapshot lags (or is missing, ``repair``).

        Snapshot writes of concurrent writers land in any order: a writer of revision
        16 can overwrite revision 25. So whoever writes the snapshot looks again for
        a newer revision afterwards and writes that one too: the last write of all is
        followed by a look that finds nothing newer, so the snapshot ends at the
        newest revision. (On FerretDB that look is one more scan per change.)
        A newer revision's change applies onto ``latest``, which is exactly the
        revision before it: the in-memory state, never a re-read of the snapshot.
        """
        latest, write = snapshot, repair
        while True:
            newer = await self.revisions.find_one(by_id(revision_id(snapshot["_id"], latest["rev"] + 1)))
            if newer is not None:
                latest, write = _state_after(latest, newer), True
                continue
            if not write:
                return latest
            await self.snapshots.replace_one(by_id(snapshot["_id"]), latest, upsert=True)
            write = False

    async def relay_once(self, older_than: timedelta = timedelta(seconds=5)) -> int:
        """Publish events whose writer died after claiming; drop entries of claims that failed.

        The first run creates the store's indexes (``ensure_indexes``): every
        service runs the relay, so none needs wiring for them.
        """
        if not self._indexed:
            await self.ensure_indexes()
        cutoff = datetime.now(timezone.utc) - older_than

        async def due() -> list[dict[str, Any]]:
            return await self.outbox.find(due_outbox_filter(cutoff)).to_list()

        async def events_of(entry: dict[str, Any]) -> list[Event]:
            """The entry's events if its claim won (the revision repeats its token), else none."""
            revision = await self.revisions.find_one(by_id(entry["revision"]))
            if revision is None or revision["token"] != entry["token"]:
                return []
            return [owed.decode(doc) for doc in entry["events"]]

        async def settle(entry: dict[str, Any]) -> None:
            await self.outbox.delete_one(by_id(entry["_id"]))

        return await owed.relay(self.outbox.name, due, events_of, settle, self._publish, since=lambda e: e["at"])

    async def history(self, agg_id: str) -> list[dict[str, Any]]:
        """Every revision of an aggregate, oldest first (the audit trail), each with its whole state.

        Each entry: ``_id``, ``rev``, ``at`` (when), ``token`` (which claim), ``change``
        (the stored diff; None for a revision stored whole) and ``state``, rebuilt by
        replaying the changes from revision 1. The current revision number bounds
        the ids to ask for (newer ones of a writer that died are looked up one by
        one, as ``_catch_up`` does). Revisions that cannot be rebuilt because an
        earlier one was pruned (the dashboard drops old ones) are left out until
        the next one stored whole.
        """
        current = await self.get(agg_id)
        if current is None:
            return []
        last = current["rev"]
        found: dict[str, dict[str, Any]] = {}
        for start in range(1, last + 1, HISTORY_BATCH):
            revs = range(start, min(start + HISTORY_BATCH, last + 1))
            found.update((d["_id"], d) for d in await self.revisions.find(history_filter(agg_id, revs)).to_list())
        while (newer := await self.revisions.find_one(by_id(revision_id(agg_id, last + 1)))) is not None:
            found[newer["_id"]] = newer
            last += 1
        trail: list[dict[str, Any]] = []
        state: dict[str, Any] | None = None
        for n in range(1, last + 1):
            doc = found.get(revision_id(agg_id, n))
            if doc is None:
                state = None  # pruned: the revisions after it have nothing to replay onto
                continue
            if "state" in doc:
                state = doc["state"]
            elif state is not None:
                state = revisions.apply(state, doc["diff"])
            if state is not None:
                trail.append({"_id": doc["_id"], "rev": n, "at": doc.get("at"), "token": doc.get("token"),
                              "change": doc.get("diff"), "state": state})  # apply made it afresh
        return trail

