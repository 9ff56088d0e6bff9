"""The dashboard's store, in its own database (``kefu_dashboard``), written only from events.

* ``cases``: one document per case (shape: ``projection.derive``), changed through
  ``AggregateStore`` revision claims (+ ``cases_revisions``): survey answers and group
  complaints reach a case from partitions another instance may own, and FerretDB
  loses one of two concurrent updates of a document. Revisions older than a day
  (``KEFU_REVISIONS_RETENTION_S``) are pruned.
* ``answers``: one document per survey answer, insert-first; its project is filled
  from the case once known (a conditional ``$set`` that every writer computes alike).
* ``feed``: new and escalated cases for the live page, insert-once per event, pruned
  after a while; not part of the read model (a rebuild does not write it).
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from kefu_contracts import Event
from kefu_kit import insert_once
from kefu_kit.aggregates import AggregateStore, Change, NotFound
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from . import projection
from .views import Board

# What the API and the page never show: the projection's bookkeeping.
HIDDEN = ("facts", "applied", "rev")


async def _never_publish(event: Event) -> None:
    raise AssertionError(f"the dashboard publishes nothing, not {type(event).__name__}")


async def ensure_indexes(db: AsyncDatabase[dict[str, Any]]) -> None:
    await db.cases.create_index([("department", ASCENDING), ("status", ASCENDING)])
    await db.cases.create_index([("opened_at", DESCENDING)])
    await db.cases_revisions.create_index([("state._id", ASCENDING)])
    await db.answers.create_index([("answered_at", ASCENDING)])
    await db.feed.create_index([("recorded_at", ASCENDING)])


class CaseStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.db = db
        self.aggregates = AggregateStore(db, "cases", _never_publish)
        self.cases = db.cases
        self.answers = db.answers
        self.feed = db.feed

    async def apply(self, case_id: str, fact: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """Apply ``fact`` to the case: (the case before, after); before is after when it was applied already."""
        seen: list[dict[str, Any]] = []

        def change(current: dict[str, Any]) -> Change | None:
            seen[:] = [copy.deepcopy(current)]
            new = projection.apply(current, case_id, fact)
            return None if new is None else Change(new)

        try:
            after = await self.aggregates.mutate(case_id, change)
        except NotFound:
            first = projection.apply(None, case_id, fact)
            assert first is not None
            after, created = await self.aggregates.create(first, [])
            if created:
                return None, after
            after = await self.aggregates.mutate(case_id, change)
        return (seen[0] if seen else None), after

    async def get(self, case_id: str) -> dict[str, Any] | None:
        return await self.aggregates.get(case_id)

    async def add_answer(self, answer: dict[str, Any]) -> None:
        await insert_once(self.answers, answer)

    async def fill_answer_project(self, survey_id: str, project: str) -> None:
        """Give an answer without a project its case's: every writer sets the same value, so races are harmless."""
        await self.answers.update_one({"_id": survey_id, "project": None}, {"$set": {"project": project}})

    async def find(self, filters: dict[str, Any], limit: int | None = None) -> list[dict[str, Any]]:
        """Cases, newest first, without the bookkeeping fields."""
        cursor = self.cases.find(filters, projection={k: False for k in HIDDEN}).sort("opened_at", DESCENDING)
        if limit:
            cursor = cursor.limit(limit)
        return await cursor.to_list()

    async def board(self, query: dict[str, Any]) -> Board:
        """The summary's inputs for the cases ``query`` selects (no full load of every case)."""
        statuses = [{"$match": query}, {"$group": {"_id": "$status", "n": {"$sum": 1}}}]
        rows = await (await self.cases.aggregate(statuses)).to_list()
        by_status = {(row["_id"] or "unknown"): row["n"] for row in rows}
        return Board(
            open_cases=await self.find({**query, "status": {"$in": sorted(projection.OPEN_STATUSES)}}),
            grouped_cases=await self.find({**query, "group_id": {"$ne": None}}),
            by_status=by_status,
            projects=sorted(p for p in await self.cases.distinct("project", query) if p),
            departments=sorted(d for d in await self.cases.distinct("department", query) if d),
        )

    async def prune_revisions(self, before: datetime) -> None:
        """Drop old revision claims, which matter only while writers race (seconds).

        The cases are the snapshots; without this the store would keep a full copy
        of a case for every event applied to it.
        """
        await self.aggregates.revisions.delete_many({"at": {"$lt": before}})

    async def add_to_feed(self, entry: dict[str, Any]) -> None:
        await insert_once(self.feed, entry)

    async def feed_since(self, since: datetime) -> list[dict[str, Any]]:
        return await self.feed.find({"recorded_at": {"$gte": since}}).sort("recorded_at", ASCENDING).to_list()

    async def recent_feed(self, limit: int) -> list[dict[str, Any]]:
        newest = await self.feed.find().sort("recorded_at", DESCENDING).limit(limit).to_list()
        return newest[::-1]

    async def prune_feed(self, before: datetime) -> None:
        await self.feed.delete_many({"recorded_at": {"$lt": before}})
