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
* ``counts``: cases per status for each (project, department) pair, changed with each
  case change (the summary's counts; a count over every case ever would grow with them).
  A handler that dies between a case's change and its count leaves the count off by one
  until ``kefu rebuild dashboard``; the cases themselves stay exact.

Every list reads one page from an index (``kefu_kit.pages``): a case carries the facets
of its project, department, status ("open" too when open), level and group.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from typing import Any

from kefu_contracts import Event
from kefu_kit import insert_once
from kefu_kit.aggregates import AggregateStore, Change, NotFound
from kefu_kit.pages import FACETS, facet, facets_of, keyset_page, page_index
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from . import projection
from .views import Board

# What the API and the page never show: the projection's bookkeeping.
HIDDEN = ("facts", "applied", "rev", FACETS, "list_at")
LIST_KEY = "list_at"  # opened_at, or the epoch for a case heard of before its opening: newest first
NEVER = datetime(1970, 1, 1, tzinfo=timezone.utc)
LIST_WINDOW = timedelta(minutes=30)  # the first window a case list reads back from now (kefu_kit.pages)


async def _never_publish(event: Event) -> None:
    raise AssertionError(f"the dashboard publishes nothing, not {type(event).__name__}")


async def ensure_indexes(db: AsyncDatabase[dict[str, Any]]) -> None:
    """One index per query shape below (SecantusDB uses an index only when the filter is a prefix of its keys)."""
    await db.cases.create_index(page_index(LIST_KEY, DESCENDING))
    await db.cases.create_index([("opened_at", ASCENDING)])
    await db.cases.create_index([("escalations.at", ASCENDING)])
    await db.cases.create_index([("work_orders.completed_at", ASCENDING)])  # the quality report's completions
    await db.cases.create_index([("kind", ASCENDING), ("opened_at", ASCENDING)])  # the quality report's repairs
    await db.cases_revisions.create_index([("at", ASCENDING)])  # prune_revisions
    await db.answers.create_index([("answered_at", ASCENDING)])
    await db.answers.create_index([("_id", ASCENDING), ("project", ASCENDING)])
    await db.feed.create_index([("recorded_at", ASCENDING)])
    await db.counts.create_index([("project", ASCENDING), ("department", ASCENDING)])
    await db.counts.create_index([("department", ASCENDING)])


# --- the filters the store sends (tests/integration/test_query_plans_dashboard.py explains each) ---

def by_id(doc_id: str) -> dict[str, Any]:
    return {"_id": doc_id}


def case_filter(scope: dict[str, Any], status: str | None = None, level: int | None = None,
                grouped: bool | None = None) -> dict[str, Any]:
    """Cases in a scope ({project, department}) with a status ("open": any open one), a level, in a group."""
    return {FACETS: facet({**scope, "status": status, "level": level, "grouped": grouped})}


def case_facets(case: dict[str, Any]) -> list[str]:
    status = case.get("status")
    return facets_of({"project": case.get("project"), "department": case.get("department"),
                      "status": [status, "open"] if status in projection.OPEN_STATUSES else [status],
                      "level": case.get("level"), "grouped": True if case.get("group_id") else None})


def counts_filter(scope: dict[str, Any]) -> dict[str, Any]:
    """The (project, department) pairs of a scope: {} when it is everything (one document per pair, few)."""
    if scope.get("project") and scope.get("department"):
        return by_id(pair_id(scope["project"], scope["department"]))
    return {k: scope[k] for k in ("project", "department") if scope.get(k)}


def pair_id(project: str | None, department: str | None) -> str:
    return json.dumps([project, department], ensure_ascii=False)


def answer_without_project(survey_id: str) -> dict[str, Any]:
    return {"_id": survey_id, "project": None}


def feed_since_filter(since: datetime) -> dict[str, Any]:
    return {"recorded_at": {"$gte": since}}


def feed_before(before: datetime) -> dict[str, Any]:
    return {"recorded_at": {"$lt": before}}


def revisions_before(before: datetime) -> dict[str, Any]:
    return {"at": {"$lt": before}}


def listed(case: dict[str, Any]) -> dict[str, Any]:
    """The case with what its lists and counts need."""
    return {**case, FACETS: case_facets(case), LIST_KEY: case.get("opened_at") or NEVER}


class CaseStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.db = db
        self.aggregates = AggregateStore(db, "cases", _never_publish)
        self.cases = db.cases
        self.answers = db.answers
        self.feed = db.feed
        self.counts = db.counts

    async def apply(self, case_id: str, fact: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """Apply ``fact`` to the case: (the case before, after); before is after when it was applied already."""
        seen: list[dict[str, Any]] = []

        def change(current: dict[str, Any]) -> Change | None:
            seen[:] = [copy.deepcopy(current)]
            new = projection.apply(current, case_id, fact)
            return None if new is None else Change(listed(new))

        try:
            after = await self.aggregates.mutate(case_id, change)
        except NotFound:
            first = projection.apply(None, case_id, fact)
            assert first is not None
            after, created = await self.aggregates.create(listed(first), [])
            if created:
                await self._count(None, after)
                return None, after
            after = await self.aggregates.mutate(case_id, change)
        before = seen[0] if seen else None
        if before is not None:  # unchanged (already applied): the same key, nothing moves
            await self._count(before, after)
        return before, after

    async def _count(self, before: dict[str, Any] | None, after: dict[str, Any]) -> None:
        """Move the case from its old (pair, status) count to its new one."""
        def key(case: dict[str, Any]) -> tuple[str | None, str | None, str]:
            return case.get("project"), case.get("department"), case.get("status") or "unknown"

        if before is not None and key(before) == key(after):
            return
        moves = [(key(after), 1)] + ([(key(before), -1)] if before is not None else [])
        for (project, department, status), n in moves:
            await self.counts.update_one(by_id(pair_id(project, department)), {
                "$inc": {f"by_status.{status}": n}, "$set": {"project": project, "department": department}},
                upsert=True)

    async def get(self, case_id: str) -> dict[str, Any] | None:
        return await self.aggregates.get(case_id)

    async def add_answer(self, answer: dict[str, Any]) -> None:
        await insert_once(self.answers, answer)

    async def fill_answer_project(self, survey_id: str, project: str) -> None:
        """Give an answer without a project its case's: every writer sets the same value, so races are harmless."""
        await self.answers.update_one(answer_without_project(survey_id), {"$set": {"project": project}})

    async def page(self, query: dict[str, Any], cursor: str | None, limit: int,
                   windowed: bool = True) -> tuple[list[dict[str, Any]], str | None]:
        """One page of cases (``case_filter``), newest first, without the bookkeeping fields; the next cursor.

        ``windowed``: read back from now in growing windows (a list over every case ever); a set that is
        small anyway (the open cases) is read at once.
        """
        return await keyset_page(self.cases, query, LIST_KEY, DESCENDING, cursor, limit,
                                 projection={k: False for k in HIDDEN if k != LIST_KEY},
                                 window=LIST_WINDOW if windowed else None)

    async def find(self, query: dict[str, Any], limit: int = 100_000) -> list[dict[str, Any]]:
        """Every case ``query`` selects (a set bounded by the work in hand: open cases, grouped ones)."""
        found, _ = await self.page(query, None, limit, windowed=False)
        return [{k: v for k, v in c.items() if k != LIST_KEY} for c in found]

    async def board(self, scope: dict[str, Any]) -> Board:
        """The summary's inputs for the cases in ``scope`` ({project, department}): counts from ``counts``."""
        pairs = await self.counts.find(counts_filter(scope)).to_list()
        by_status: dict[str, int] = {}
        for pair in pairs:
            for status, n in pair.get("by_status", {}).items():
                by_status[status] = by_status.get(status, 0) + n
        live = [p for p in pairs if any(p.get("by_status", {}).values())]
        return Board(
            open_cases=await self.find(case_filter(scope, status="open")),
            grouped_cases=await self.find(case_filter(scope, grouped=True)),
            by_status={s: n for s, n in by_status.items() if n},
            projects=sorted({p["project"] for p in live if p.get("project")}),
            departments=sorted({p["department"] for p in live if p.get("department")}),
        )

    async def prune_revisions(self, before: datetime) -> None:
        """Drop old revision claims, which matter only while writers race (seconds).

        The cases are the snapshots; without this the store would keep a full copy
        of a case for every event applied to it.
        """
        await self.aggregates.revisions.delete_many(revisions_before(before))

    async def add_to_feed(self, entry: dict[str, Any]) -> None:
        await insert_once(self.feed, entry)

    async def feed_since(self, since: datetime) -> list[dict[str, Any]]:
        return await self.feed.find(feed_since_filter(since)).sort("recorded_at", ASCENDING).to_list()

    async def recent_feed(self, limit: int) -> list[dict[str, Any]]:
        newest = await self.feed.find().sort("recorded_at", DESCENDING).limit(limit).to_list()
        return newest[::-1]

    async def prune_feed(self, before: datetime) -> None:
        await self.feed.delete_many(feed_before(before))
