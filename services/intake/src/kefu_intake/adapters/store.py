"""Intake's store: the customer archive (客户档案) and the contact log, in intake's own database.

Collections:
* ``customers``: one document per customer (profile, known phones/emails, properties).
* ``customer_keys``: ``_id`` is an identity key (``phone:+86...``, ``email:...``, ``cid:...``),
  pointing at a customer. Its unique ``_id`` makes find-or-create safe under concurrency,
  without multi-document transactions.
* ``contacts``: ``_id`` is the ``call.received`` event_id, so a redelivered call is recognised;
  the document stores the decisions taken (customer, case, classification) so a redelivery
  republishes exactly what the first delivery decided.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kefu_kit import insert_once
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from ..domain.identity import CallerIdentity


async def ensure_indexes(db: AsyncDatabase[dict[str, Any]]) -> None:
    await db.contacts.create_index([("customer_id", ASCENDING), ("received_at", DESCENDING)])
    await db.customer_keys.create_index([("customer_id", ASCENDING)])


class CustomerArchive:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.customers = db.customers
        self.keys = db.customer_keys

    async def find_or_create(
        self, identity: CallerIdentity, *, name: str | None, prop: dict[str, Any] | None, seen_at: datetime
    ) -> str:
        """The customer these keys belong to, created when none is known; new keys are linked to it."""
        found = await self.keys.find_one({"_id": {"$in": list(identity.keys)}}, sort=[("rank", ASCENDING)])
        customer_id = found["customer_id"] if found else identity.new_customer_id()
        add: dict[str, Any] = {}
        if identity.phone:
            add["phones"] = identity.phone
        if identity.email:
            add["emails"] = identity.email
        if prop:
            add["properties"] = prop
        update: dict[str, Any] = {
            "$setOnInsert": {"_id": customer_id, "created_at": seen_at},
            "$max": {"last_contact_at": seen_at},
        }
        if add:
            update["$addToSet"] = add
        if name:
            update["$set"] = {"name": name}
        await self.customers.update_one({"_id": customer_id}, update, upsert=True)
        for rank, key in enumerate(identity.keys):
            await insert_once(self.keys, {"_id": key, "customer_id": customer_id, "rank": rank})
        return customer_id

    async def profile(self, customer_id: str) -> dict[str, Any] | None:
        return await self.customers.find_one({"_id": customer_id})


class ContactLog:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.contacts = db.contacts

    async def get(self, contact_id: str) -> dict[str, Any] | None:
        return await self.contacts.find_one({"_id": contact_id})

    async def record(self, contact: dict[str, Any]) -> dict[str, Any]:
        """Store ``contact`` unless its event was recorded before; return the stored one either way."""
        if await insert_once(self.contacts, contact):
            return contact
        stored = await self.contacts.find_one({"_id": contact["_id"]})
        assert stored is not None
        return stored

    async def history(self, customer_id: str, limit: int, skip: int = 0) -> list[dict[str, Any]]:
        cursor = self.contacts.find({"customer_id": customer_id}).sort("received_at", DESCENDING).skip(skip).limit(limit)
        return await cursor.to_list()
