"""Documents changed by several writers at once, safely on every MongoDB-compatible server.

FerretDB 1.24 applies updates as read-modify-write without locking: two writers
updating one document (even with a version-checked filter) can lose one change.
Inserts guarded by a unique ``_id`` are safe everywhere. So a change to an
aggregate (a case, say) is claimed by inserting revision ``n+1``
(``<id>|<n+1>``): exactly one writer wins, the loser reloads and retries. The
revision holds the whole new state (the snapshot is only a fast copy, repaired
from the revisions when behind) and is the audit trail.

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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from kefu_contracts import TOPICS, Event
from pymongo.asynchronous.database import AsyncDatabase

from .logging import get_logger
from .mongo import insert_once

log = get_logger(__name__)

Publish = Callable[[Event], Awaitable[None]]


class ConcurrentChange(Exception):
    """Too many writers raced for the same aggregate; the caller may retry later."""


class NotFound(KeyError):
    """No aggregate with that id."""


@dataclass
class Change:
    """What a change function returns: the new state and the events it owes."""

    state: dict[str, Any]
    events: list[Event] = field(default_factory=list)


ChangeFn = Callable[[dict[str, Any]], "Change | None"]


def _event_from_doc(doc: dict[str, Any]) -> Event:
    return TOPICS[doc["topic"]].model.model_validate(doc["event"])


class AggregateStore:
    """Snapshots in ``<name>``, revisions in ``<name>_revisions``, pending events in ``<name>_outbox``."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]], name: str, publish: Publish, max_attempts: int = 20):
        self.snapshots = db[name]
        self.revisions = db[f"{name}_revisions"]
        self.outbox = db[f"{name}_outbox"]
        self._publish = publish
        self._max_attempts = max_attempts

    async def get(self, agg_id: str) -> dict[str, Any] | None:
        """The current state; rebuilt from the revisions when its creator died before writing the snapshot."""
        snapshot = await self.snapshots.find_one({"_id": agg_id})
        if snapshot is not None:
            return snapshot
        first = await self.revisions.find_one({"_id": f"{agg_id}|1"})
        if first is None:
            return None
        return await self._catch_up(first["state"], repair=True)

    async def create(self, state: dict[str, Any], events: list[Event]) -> tuple[dict[str, Any], bool]:
        """Create at revision 1; if it exists (a redelivery), return the stored one and False."""
        state = {**state, "rev": 1}
        if await self._commit(state["_id"], 1, state, events):
            return state, True
        existing = await self.get(state["_id"])
        assert existing is not None, "revision 1 exists, so the aggregate does"
        return existing, False

    async def mutate(self, agg_id: str, fn: ChangeFn) -> dict[str, Any]:
        """Apply ``fn`` to the current state and commit it as the next revision; retry when raced.

        ``fn`` gets a private copy and returns a ``Change`` or None for "nothing to do"
        (it must itself recognise a change already applied: that is what makes
        redelivered commands idempotent).
        """
        raced = False
        for _ in range(self._max_attempts):
            current = await self.get(agg_id)
            if current is None:
                raise NotFound(agg_id)
            if raced:  # the winner may have died before writing its snapshot
                current = await self._catch_up(current)
            change = fn(copy.deepcopy(current))
            if change is None:
                return current
            rev = current["rev"] + 1
            state = {**change.state, "_id": agg_id, "rev": rev}
            if await self._commit(agg_id, rev, state, change.events):
                return state
            raced = True
            await asyncio.sleep(0.005)
        raise ConcurrentChange(f"{agg_id}: {self._max_attempts} writers in a row changed it first")

    async def _commit(self, agg_id: str, rev: int, state: dict[str, Any], events: list[Event]) -> bool:
        rev_id = f"{agg_id}|{rev}"
        token = secrets.token_hex(8)
        now = datetime.now(timezone.utc)
        if events:
            await self.outbox.insert_one({
                "_id": f"{rev_id}|{token}", "revision": rev_id, "token": token, "at": now,
                "events": [{"topic": _topic_of(e), "event": e.model_dump(mode="json")} for e in events],
            })
        if not await insert_once(self.revisions, {"_id": rev_id, "token": token, "at": now, "state": state}):
            if events:
                await self.outbox.delete_one({"_id": f"{rev_id}|{token}"})
            return False
        await self.snapshots.replace_one({"_id": agg_id}, state, upsert=True)
        await self._catch_up(state)  # a later revision's snapshot may have landed before this one
        for event in events:
            await self._publish(event)
        if events:
            await self.outbox.delete_one({"_id": f"{rev_id}|{token}"})
        return True

    async def _revision(self, agg_id: str, rev: int) -> dict[str, Any]:
        doc = await self.revisions.find_one({"_id": f"{agg_id}|{rev}"})
        if doc is None:
            raise NotFound(f"{agg_id}|{rev}")
        return doc

    async def _catch_up(self, snapshot: dict[str, Any], repair: bool = False) -> dict[str, Any]:
        """The newest state, written to the snapshot when the snapshot lags (or is missing, ``repair``).

        Snapshot writes of concurrent writers land in any order: a writer of revision
        16 can overwrite revision 25. So whoever writes the snapshot looks again for
        a newer revision afterwards and writes that one too: the last write of all is
        followed by a look that finds nothing newer, so the snapshot ends at the
        newest revision. (On FerretDB that look is one more scan per change.)
        """
        latest, write = snapshot, repair
        while True:
            newer = await self.revisions.find_one({"_id": f"{snapshot['_id']}|{latest['rev'] + 1}"})
            if newer is not None:
                latest, write = newer["state"], True
                continue
            if not write:
                return latest
            await self.snapshots.replace_one({"_id": snapshot["_id"]}, latest, upsert=True)
            write = False

    async def relay_once(self, older_than: timedelta = timedelta(seconds=5)) -> int:
        """Publish events whose writer died after claiming; drop entries of claims that failed."""
        cutoff = datetime.now(timezone.utc) - older_than
        published = 0
        for entry in await self.outbox.find({"at": {"$lt": cutoff}}).to_list():
            revision = await self.revisions.find_one({"_id": entry["revision"]})
            if revision is not None and revision["token"] == entry["token"]:
                for doc in entry["events"]:
                    await self._publish(_event_from_doc(doc))
                    published += 1
            await self.outbox.delete_one({"_id": entry["_id"]})
        if published:
            log.warning("outbox relay published events of an interrupted change", events=published)
        return published

    async def history(self, agg_id: str) -> list[dict[str, Any]]:
        """Every revision of an aggregate, oldest first (the audit trail)."""
        docs = await self.revisions.find({"state._id": agg_id}).to_list()
        return sorted(docs, key=lambda d: d["state"]["rev"])


def _topic_of(event: Event) -> str:
    for name, spec in TOPICS.items():
        if type(event) is spec.model:
            return name
    raise KeyError(f"{type(event).__name__} is not a contract event")
