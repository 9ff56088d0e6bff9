"""Routing's store, in routing's own database.

* ``cases`` (+ ``cases_revisions``, ``cases_outbox``): each case an aggregate changed
  through ``AggregateStore`` (safe with several routing instances and API requests at once).
* ``groups`` (+ revisions, outbox): group complaints (群诉), also aggregates.
* ``timers``: deadlines to check, one document per (case, deadline); any instance may
  fire one, the case's revision claim makes the effect happen once.
* ``vip_customers``: who is a VIP owner, learned from membership's events.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kefu_kit import insert_once
from kefu_kit.aggregates import AggregateStore, Publish
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from ..domain.lifecycle import OPEN_STATUSES


async def ensure_indexes(db: AsyncDatabase[dict[str, Any]]) -> None:
    await db.cases.create_index([("department", ASCENDING), ("status", ASCENDING)])
    await db.cases.create_index([("customer_id", ASCENDING), ("opened_at", DESCENDING)])
    await db.cases.create_index([("project", ASCENDING), ("building", ASCENDING), ("category", ASCENDING)])
    await db.cases_revisions.create_index([("state._id", ASCENDING)])
    await db.timers.create_index([("due_at", ASCENDING)])
    await db.recent_reports.create_index([("customer_id", ASCENDING), ("opened_at", DESCENDING)])
    await db.recent_reports.create_index([("project", ASCENDING), ("building", ASCENDING), ("category", ASCENDING)])


class CaseRepository(AggregateStore):
    def __init__(self, db: AsyncDatabase[dict[str, Any]], publish: Publish) -> None:
        super().__init__(db, "cases", publish)

    async def find(self, filters: dict[str, Any], limit: int, skip: int = 0) -> list[dict[str, Any]]:
        cursor = self.snapshots.find(filters).sort("opened_at", DESCENDING).skip(skip).limit(limit)
        return await cursor.to_list()

    async def open_counts(self, department: str) -> dict[str, int]:
        """Open cases per assignee in a department (one accumulator per $group: FerretDB computes only the first)."""
        pipeline = [
            {"$match": {"department": department, "status": {"$in": sorted(OPEN_STATUSES)}}},
            {"$group": {"_id": "$assignee", "n": {"$sum": 1}}},
        ]
        rows = await (await self.snapshots.aggregate(pipeline)).to_list()
        return {r["_id"]: r["n"] for r in rows if r["_id"]}


class RecentReports:
    """A small index of recent cases (who, where, what, when) for repeat and group-complaint checks.

    Those checks look back 30 days and 72 hours; scanning every case for them would
    cost a full collection scan per new case on FerretDB. This collection holds only
    the recent ones, pruned by ``prune``.
    """

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.reports = db.recent_reports

    async def add(self, case: dict[str, Any]) -> None:
        await insert_once(self.reports, {
            "_id": case["_id"], "customer_id": case["customer_id"], "kind": case["kind"],
            "project": case.get("project"), "building": case.get("building"), "category": case.get("category"),
            "opened_at": case["opened_at"],
        })

    async def of_customer(self, customer_id: str, kinds: list[str], since: datetime) -> list[dict[str, Any]]:
        cursor = self.reports.find({"customer_id": customer_id, "kind": {"$in": kinds}, "opened_at": {"$gte": since}})
        return await cursor.to_list()

    async def in_building(
        self, project: str, building: str, category: str, kinds: list[str], since: datetime
    ) -> list[dict[str, Any]]:
        cursor = self.reports.find({"project": project, "building": building, "category": category,
                                    "kind": {"$in": kinds}, "opened_at": {"$gte": since}})
        return await cursor.to_list()

    async def prune(self, older_than: datetime) -> int:
        return (await self.reports.delete_many({"opened_at": {"$lt": older_than}})).deleted_count


class GroupRepository(AggregateStore):
    def __init__(self, db: AsyncDatabase[dict[str, Any]], publish: Publish) -> None:
        super().__init__(db, "groups", publish)

    async def active_for(self, key: str) -> dict[str, Any] | None:
        groups = await self.snapshots.find({"key": key, "active": True}).to_list()
        return max(groups, key=lambda g: g["last_member_at"]) if groups else None


class TimerStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.timers = db.timers

    async def schedule(self, case_id: str, which: str, due_at: datetime) -> None:
        await insert_once(self.timers, {"_id": f"{case_id}|{which}|{due_at.isoformat()}", "case_id": case_id,
                                        "which": which, "due_at": due_at})

    async def due(self, now: datetime, limit: int = 500) -> list[dict[str, Any]]:
        return await self.timers.find({"due_at": {"$lte": now}}).sort("due_at", ASCENDING).limit(limit).to_list()

    async def done(self, timer_id: str) -> None:
        await self.timers.delete_one({"_id": timer_id})


class VipStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.vips = db.vip_customers

    async def record(self, customer_id: str, vip: bool, tier: str, event_id: str, at: datetime) -> None:
        """Keep the latest tier per customer (events of one customer arrive in order: keyed by customer)."""
        doc = {"_id": customer_id, "vip": vip, "tier": tier, "event_id": event_id, "at": at}
        if not await insert_once(self.vips, doc):
            await self.vips.replace_one({"_id": customer_id, "at": {"$lte": at}}, doc)

    async def is_vip(self, customer_id: str) -> bool:
        doc = await self.vips.find_one({"_id": customer_id})
        return bool(doc and doc["vip"])
