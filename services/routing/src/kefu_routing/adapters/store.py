"""Routing's store: cases (with their timeline), in routing's own database.

A case document holds every decision routing took and the events it owes, so
that a redelivered ``case.opened`` republishes the same ``case.assigned``.
"""

from __future__ import annotations

from typing import Any

from kefu_kit import insert_once
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase


async def ensure_indexes(db: AsyncDatabase[dict[str, Any]]) -> None:
    await db.cases.create_index([("department", ASCENDING), ("status", ASCENDING)])
    await db.cases.create_index([("customer_id", ASCENDING)])


class CaseStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.cases = db.cases

    async def get(self, case_id: str) -> dict[str, Any] | None:
        return await self.cases.find_one({"_id": case_id})

    async def find(self, filters: dict[str, Any], limit: int, skip: int = 0) -> list[dict[str, Any]]:
        cursor = self.cases.find(filters).sort("opened_at", DESCENDING).skip(skip).limit(limit)
        return await cursor.to_list()

    async def open(self, case: dict[str, Any]) -> dict[str, Any]:
        """Store a new case; when it exists already (redelivery) return the stored one."""
        if await insert_once(self.cases, case):
            return case
        stored = await self.get(case["_id"])
        assert stored is not None
        return stored
