"""Calls accepted over HTTP (``accepted_calls``): what makes ``POST /calls`` safe to retry.

One document per idempotency key, ``_id`` ``event:<event_id>`` or
``ref:<channel>:<external_ref>``, holding the accepted event (as published) and the
fingerprint of the body that brought it. The unique ``_id`` decides a race: the
first insert wins, every later request with that key reads it back. ``published``
is set once the broker acked; until then a retry publishes the stored event again
(the same event, with the same id, which consumers drop as a repeat).

Kept small: ``prune`` drops keys older than the retention (adapters retry within
minutes; a repeat after that is a new call to intake, which still drops an
``event_id`` it has recorded).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kefu_kit import insert_once
from pymongo.asynchronous.database import AsyncDatabase


def event_key(event_id: str) -> str:
    return f"event:{event_id}"


def ref_key(channel: str, external_ref: str) -> str:
    return f"ref:{channel}:{external_ref}"


def accepted_before(before: datetime) -> dict[str, Any]:
    return {"at": {"$lt": before}}


class AcceptedCalls:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.keys = db.accepted_calls

    async def claim(self, key: str, event: dict[str, Any], fingerprint: str,
                    at: datetime) -> tuple[dict[str, Any], bool]:
        """Take ``key`` for ``event``: the stored document, and whether this request took it (else an earlier one)."""
        doc = {"_id": key, "event": event, "fingerprint": fingerprint, "published": False, "at": at}
        for _ in range(3):  # pruned between our insert and our read: insert again
            if await insert_once(self.keys, doc):
                return doc, True
            found = await self.keys.find_one({"_id": key})
            if found is not None:
                return found, False
        raise RuntimeError(f"idempotency key {key} neither insertable nor readable")

    async def is_published(self, key: str) -> bool:
        found = await self.keys.find_one({"_id": key}, {"published": 1})
        return bool(found and found.get("published"))

    async def mark_published(self, key: str) -> None:
        await self.keys.update_one({"_id": key}, {"$set": {"published": True}})

    async def prune(self, before: datetime) -> int:
        return (await self.keys.delete_many(accepted_before(before))).deleted_count
