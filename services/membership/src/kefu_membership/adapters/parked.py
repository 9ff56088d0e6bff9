"""``parked_answers``: survey answers that reached membership before their owner joined the club.

``survey.answered`` and ``property.handed_over`` (which makes an owner a member) are
separate topics, so Kafka orders nothing between them: an answer can be consumed
before the handover that makes its owner a member, and would earn nothing (and so
change no tier) although, delivered in order, it would. Such an answer is kept here
until the member appears (``joining.join``) or it expires (``earning.expire_parked``).

One document per answer, ``_id`` = its ``event_id`` (a redelivery parks once), read by
``member_id`` when a member joins and by ``parked_at`` when expiring.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kefu_kit import insert_once
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

Doc = dict[str, Any]


def parked_of(member_id: str) -> Doc:
    return {"member_id": member_id}


def parked_before(cutoff: datetime) -> Doc:
    return {"parked_at": {"$lt": cutoff}}


async def ensure_parked_indexes(db: AsyncDatabase[Doc]) -> None:
    await db.parked_answers.create_index([("member_id", ASCENDING)])
    await db.parked_answers.create_index([("parked_at", ASCENDING)])


class ParkedAnswers:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.parked = db.parked_answers

    async def park(self, doc: Doc) -> bool:
        """Keep ``doc``; False when that answer is parked already (a redelivery)."""
        return await insert_once(self.parked, doc)

    async def of_member(self, member_id: str) -> list[Doc]:
        """The member's parked answers, in the order they happened (``occurred_at``, then event id)."""
        docs = await self.parked.find(parked_of(member_id)).to_list()
        return sorted(docs, key=lambda d: (d["occurred_at"], d["_id"]))

    async def older_than(self, cutoff: datetime, limit: int = 500) -> list[Doc]:
        return await self.parked.find(parked_before(cutoff)).limit(limit).to_list()

    async def remove(self, event_id: str) -> None:
        await self.parked.delete_one({"_id": event_id})

    async def count(self) -> int:
        return await self.parked.estimated_document_count()
