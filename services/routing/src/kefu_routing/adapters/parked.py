"""``parked``: events about a case that reached routing before the case did.

A case's ``case.opened`` and its follow-ups or survey answers travel on different
topics, so on different partitions: nothing orders them across topics, and a
follow-up can be consumed before its opening (measured: an owner's three repeat
complaints dead-lettered with ``NotFound``). Such an event is kept here, whole
(the original record, so it can still be dead-lettered as it came), until its
case appears.

One document per event, ``_id`` = its ``event_id``: a redelivery parks once.
Read by ``aggregate_id`` when cases are created, by ``parked_at`` when expiring.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kefu_kit import insert_once
from pymongo.asynchronous.database import AsyncDatabase

from . import queries as q


class ParkedStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.parked = db.parked

    async def park(self, doc: dict[str, Any]) -> bool:
        """Keep ``doc`` (``_id`` = the event id); False when it is parked already (a redelivery)."""
        return await insert_once(self.parked, doc)

    async def for_cases(self, case_ids: list[str]) -> list[dict[str, Any]]:
        """Every event parked for any of ``case_ids``, in no particular order (one read)."""
        if not case_ids:
            return []
        return await self.parked.find(q.parked_for(sorted(set(case_ids)))).to_list()

    async def older_than(self, cutoff: datetime, limit: int = 500) -> list[dict[str, Any]]:
        return await self.parked.find(q.parked_before(cutoff)).limit(limit).to_list()

    async def remove(self, event_id: str) -> None:
        await self.parked.delete_one(q.parked(event_id))

    async def count(self) -> int:
        """How many are parked: the collection's metadata count (``count_documents({})`` scans)."""
        return await self.parked.estimated_document_count()
