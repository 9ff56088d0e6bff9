"""Intake's store: the customer archive (客户档案) and the contact log, in intake's own database.

Collections, each written insert-first (an insert is checked by the unique ``_id``
index; a lookup, on FerretDB 1.24, scans the collection, so the hot path avoids them):

* ``customer_keys``: ``_id`` is an identity key (``phone:+86...``, ``email:...``, ``cid:...``)
  pointing at a customer. Its unique ``_id`` makes find-or-create safe when two
  instances see a new caller at once, without multi-document transactions.
* ``customers``: one document per customer (id, first name given, first contact).
* ``customer_properties``: one document per (customer, project, building, unit).
* ``contacts``: ``_id`` is the ``call.received`` event_id, so a redelivered call is recognised;
  the document stores the decisions taken (customer, case, classification) so a redelivery
  republishes exactly what the first delivery decided.

Known phones, emails and the last contact are derived from these, not stored twice.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from typing import Any

from kefu_kit import insert_once
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from ..domain.identity import CallerIdentity


async def ensure_indexes(db: AsyncDatabase[dict[str, Any]]) -> None:
    await db.contacts.create_index([("customer_id", ASCENDING), ("received_at", DESCENDING)])
    await db.customer_keys.create_index([("customer_id", ASCENDING)])
    await db.customer_properties.create_index([("customer_id", ASCENDING)])


class _KeyCache:
    """identity key -> customer id. A mapping never changes once written, so caching it is safe."""

    def __init__(self, size: int = 100_000) -> None:
        self._items: OrderedDict[str, str] = OrderedDict()
        self._size = size

    def get(self, key: str) -> str | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: str, customer_id: str) -> None:
        self._items[key] = customer_id
        self._items.move_to_end(key)
        if len(self._items) > self._size:
            self._items.popitem(last=False)


class CustomerArchive:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.customers = db.customers
        self.keys = db.customer_keys
        self.properties = db.customer_properties
        self._cache = _KeyCache()

    async def find_or_create(
        self, identity: CallerIdentity, *, name: str | None, prop: dict[str, Any] | None, seen_at: datetime
    ) -> str:
        """The customer these keys belong to, created when none is known; new keys are linked to it.

        The strongest key already known decides the customer; keys not yet known are
        linked to that customer. Concurrent creators of one new caller agree, because
        the new id is derived from the strongest key and the key insert is unique.
        """
        known: dict[str, str] = {}
        for key in identity.keys:
            cached = self._cache.get(key)
            if cached:
                known[key] = cached
        customer_id = next((known[k] for k in identity.keys if k in known), None)
        if customer_id is None:
            customer_id = await self._claim_or_find(identity)
        for key in identity.keys:
            if key not in known:
                owner = await self._link(key, customer_id)
                self._cache.put(key, owner)
        await insert_once(self.customers, {"_id": customer_id, "name": name, "created_at": seen_at})
        if prop:
            prop_id = "|".join([customer_id, prop["project"], prop.get("building") or "", prop.get("unit") or ""])
            await insert_once(self.properties, {"_id": prop_id, "customer_id": customer_id, **prop, "since": seen_at})
        return customer_id

    async def _claim_or_find(self, identity: CallerIdentity) -> str:
        """Claim the strongest key for a new customer; if it is taken, the customer it names."""
        strongest = identity.keys[0]
        candidate = identity.new_customer_id()
        if await insert_once(self.keys, {"_id": strongest, "customer_id": candidate, "rank": 0}):
            # A brand-new strongest key: but a weaker key may already name a customer (the caller
            # gave a new customer id with a phone we know). Then that customer wins; re-point.
            for key in identity.keys[1:]:
                stored = await self.keys.find_one({"_id": key})
                if stored:
                    await self.keys.update_one({"_id": strongest}, {"$set": {"customer_id": stored["customer_id"]}})
                    self._cache.put(strongest, stored["customer_id"])
                    return str(stored["customer_id"])
            self._cache.put(strongest, candidate)
            return candidate
        stored = await self.keys.find_one({"_id": strongest})
        assert stored is not None
        self._cache.put(strongest, stored["customer_id"])
        return str(stored["customer_id"])

    async def _link(self, key: str, customer_id: str) -> str:
        """Link ``key`` to ``customer_id`` unless it is linked already; return its customer."""
        if await insert_once(self.keys, {"_id": key, "customer_id": customer_id}):
            return customer_id
        stored = await self.keys.find_one({"_id": key})
        return str(stored["customer_id"]) if stored else customer_id

    async def profile(self, customer_id: str) -> dict[str, Any] | None:
        customer = await self.customers.find_one({"_id": customer_id})
        if customer is None:
            return None
        keys = [k["_id"] for k in await self.keys.find({"customer_id": customer_id}).to_list()]
        props = await self.properties.find({"customer_id": customer_id}, {"customer_id": 0}).to_list()
        customer["phones"] = sorted(k.removeprefix("phone:") for k in keys if k.startswith("phone:"))
        customer["emails"] = sorted(k.removeprefix("email:") for k in keys if k.startswith("email:"))
        customer["properties"] = [{k: v for k, v in p.items() if k != "_id"} for p in props]
        return customer


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


class ProblemIndex:
    """Open problems per customer and property (``open_problems``), so a new contact finds its open case."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.problems = db.open_problems

    async def claim(self, key: str, case_id: str, at: datetime) -> dict[str, Any] | None:
        """Record ``case_id`` as the problem's case; if the problem is known, return what is stored instead."""
        doc = {"_id": key, "case_id": case_id, "open": True, "opened_at": at, "last_contact_at": at}
        if await insert_once(self.problems, doc):
            return None
        return await self.problems.find_one({"_id": key})

    async def restart(self, key: str, case_id: str, at: datetime) -> None:
        """The known problem's case is closed or too old: this contact starts a new case for it."""
        doc = {"_id": key, "case_id": case_id, "open": True, "opened_at": at, "last_contact_at": at}
        await self.problems.replace_one({"_id": key}, doc)

    async def touched(self, key: str, at: datetime) -> None:
        await self.problems.update_one({"_id": key}, {"$max": {"last_contact_at": at}})

    async def set_open(self, key: str, case_id: str, is_open: bool) -> None:
        """Routing says the case moved: closed problems take new cases, reopened ones follow-ups again."""
        await self.problems.update_one({"_id": key, "case_id": case_id}, {"$set": {"open": is_open}})


class PropertyRegister:
    """Handover dates by project, building and unit, held in memory (a register is small) and stored."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.entries = db.property_register
        self.dates: dict[str, datetime] = {}

    async def load(self) -> None:
        self.dates = {d["_id"]: d["handover_date"] for d in await self.entries.find().to_list()}

    async def put(self, key: str, entry: dict[str, Any]) -> None:
        doc = {"_id": key, **entry}
        if not await insert_once(self.entries, doc):
            await self.entries.replace_one({"_id": key}, doc)
        self.dates[key] = entry["handover_date"]
