"""Intake's store: the customer archive (客户档案) and the contact log, in intake's own database.

Collections, each written insert-first (an insert is checked by the unique ``_id``
index; a lookup, on FerretDB 1.24, scans the collection, so the hot path avoids them):

* ``customer_keys``: ``_id`` is an identity key (``phone:+86...``, ``email:...``, ``cid:...``)
  pointing at a customer. Written once, never re-pointed (instances cache it).
* ``customer_key_claims``: claims on the keys a batch is about to link, pruned after
  a lease (``KeyClaims``). A caller's keys are several documents and the store has no
  multi-document transactions here: without the claims two instances deciding on
  one new caller with different key sets (customer id + phone against the phone
  alone) each linked part of the keys and split the person in two customers.
* ``customers``: one document per customer (id, first name given, first contact).
* ``customer_properties``: one document per (customer, project, building, unit).
* ``contacts``: ``_id`` is the ``call.received`` event_id, so a redelivered call is recognised;
  the document stores the decisions taken (customer, case, classification) so a redelivery
  republishes exactly what the first delivery decided.

Known phones, emails and the last contact are derived from these, not stored twice.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

from kefu_kit import get_logger, insert_new, insert_once, upsert_each
from kefu_kit.aggregates import ConcurrentChange
from kefu_kit.backoff import retry
from kefu_kit.mongo import DUPLICATE_KEY
from pymongo import ASCENDING, DESCENDING, DeleteOne, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, PyMongoError

from ..domain.decisions import customer_for
from ..domain.identity import CallerIdentity
from ..domain.moves import Opening, ProblemWrites
from ..domain.records import ContactRecord, Customer, OpenProblem

log = get_logger(__name__)


async def ensure_indexes(db: AsyncDatabase[dict[str, Any]]) -> None:
    await db.contacts.create_index([("customer_id", ASCENDING), ("received_at", DESCENDING)])
    # a department's view of a customer: the contacts of its cases (``{customer_id, case_id: {$in}}`` scans)
    await db.contacts.create_index([("case_id", ASCENDING), ("received_at", DESCENDING)])
    await db.case_departments.create_index([("customer_id", ASCENDING), ("department", ASCENDING)])
    await db.accepted_calls.create_index([("at", ASCENDING)])  # POST /calls keys: the pruner
    await db.customer_keys.create_index([("customer_id", ASCENDING)])
    await db.customer_properties.create_index([("customer_id", ASCENDING)])
    await db.customer_key_claims.create_index([("_id", ASCENDING), ("by", ASCENDING)])  # release: own claims only
    await db.customer_key_claims.create_index([("at", ASCENDING)])  # the pruner
    # The guarded writes filter on two fields, which SecantusDB turns into an ``$and`` that scans
    # unless a compound index covers both (measured: explain shows COLLSCAN without these).
    await db.open_problems.create_index([("_id", ASCENDING), ("rev", ASCENDING)])
    await db.open_problems.create_index([("_id", ASCENDING), ("case_id", ASCENDING)])
    # the pruner's two reads: problems whose window passed, problems closed a while ago
    await db.open_problems.create_index([("last_contact_at", ASCENDING)])
    await db.open_problems.create_index([("closed_at", ASCENDING)])


# Every filter intake sends, built here so the query-plan tests check the very filters the code uses.
def by_id(doc_id: str) -> dict[str, Any]:
    return {"_id": doc_id}


def by_ids(ids: Iterable[str]) -> dict[str, Any]:
    return {"_id": {"$in": sorted(set(ids))}}


def of_customer(customer_id: str) -> dict[str, Any]:
    return {"customer_id": customer_id}


def of_case(case_id: str) -> dict[str, Any]:
    return {"case_id": case_id}


def claim_by(key: str, holder: str) -> dict[str, Any]:
    """A holder's own claim on ``key`` (one taken over after its lease ran out is not ours to drop).

    Released one ``DeleteOne`` per key in a bulk: ``{_id: {$in}, by}`` scans on SecantusDB, this does not.
    """
    return {"_id": key, "by": holder}


def claims_older_than(before: datetime) -> dict[str, Any]:
    return {"at": {"$lt": before}}


HISTORY_SORT = [("received_at", DESCENDING)]


def problem_at_rev(key: str, rev: int) -> dict[str, Any]:
    """The problem as it was read: a write that finds it changed meanwhile matches nothing."""
    return {"_id": key, "rev": rev} if rev else {"_id": key, "rev": {"$in": [0, None]}}


def problem_of_case(key: str, case_id: str) -> dict[str, Any]:
    return {"_id": key, "case_id": case_id}


def problems_quiet_since(before: datetime) -> dict[str, Any]:
    return {"last_contact_at": {"$lt": before}}


def problems_closed_before(before: datetime) -> dict[str, Any]:
    return {"closed_at": {"$lt": before}}


KEY_CACHE_SIZE = 20_000  # recent callers' keys: about 5.5 MB, some two months of a 100,000-calls-a-year hotline


class _KeyCache:
    """identity key -> customer id. A mapping never changes once written, so caching it is safe.

    It spares the read of a batch's callers who called before, and it is the one part of intake's memory
    that grows with traffic: 100,000 keys take about 27 MB (tracemalloc), and kept the service's memory climbing
    through a 100,000-call bench. Most repeat calls come within days (a case's follow-ups), so the most
    recent 20,000 keys keep nearly all of the hits; an older caller costs one indexed read, as any new one does.
    """

    def __init__(self, size: int = KEY_CACHE_SIZE) -> None:
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


CLAIM_LEASE = timedelta(seconds=30)  # far beyond a batch's archive writes; a claim older than this was left by a crash


class KeyClaims:
    """Exclusive claims on identity keys, so one writer at a time links a given key.

    A batch links all the keys it found unknown at once, or none: it claims them in
    one ordered insert (sorted, so two batches wanting the same keys meet on the
    first shared one and one of them gets all), and a key claimed by another writer
    means ``ConcurrentChange`` before anything is written. Readers never look at the
    claims (an owner is a ``customer_keys`` document).

    A claim is dropped at once only when its batch gave up before writing. After the
    writes it stays: the key is linked then, so nobody claims it again, and deleting
    a batch's claims one by one cost more than its whole archive write (measured:
    about 480 ms per 1,000 keys, ``$in`` deletes scan). A claim left by writes that
    failed half-way keeps the keys from being linked elsewhere until its batch,
    retried, has finished them, or its lease ran out. ``prune`` drops claims older
    than the lease, so the collection holds only the last minutes of linking.
    """

    def __init__(self, db: AsyncDatabase[dict[str, Any]], lease: timedelta = CLAIM_LEASE) -> None:
        self.claims = db.customer_key_claims
        self.lease = lease

    @asynccontextmanager
    async def holding(self, keys: Iterable[str]) -> AsyncIterator[None]:
        """Claim ``keys`` for the block; ``Released`` raised in it gives them back (nothing was written)."""
        wanted = sorted(set(keys))
        if not wanted:
            yield
            return
        holder, now = uuid.uuid4().hex, datetime.now(timezone.utc)
        try:
            await self.claims.insert_many([{"_id": k, "by": holder, "at": now} for k in wanted], ordered=True)
        except BulkWriteError as exc:
            # not the kit's insert_new: here a duplicate is another writer holding the key (a conflict, not
            # "done already"), and an ordered insert's errors say which keys before it became ours
            errors = (exc.details or {}).get("writeErrors") or []
            first = min((e["index"] for e in errors), default=len(wanted))
            await self._release(wanted[:first], holder)  # ordered: the ones before the first error are ours
            if not errors or any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            await self._expire(wanted[first], now)
            raise ConcurrentChange("an identity key is being linked by another writer") from None
        try:
            yield
        except GaveUp as exc:
            await self._release(wanted, holder)
            raise exc.reason from None

    async def prune(self, now: datetime) -> int:
        """Drop claims older than the lease (their keys are linked, or their holder is gone); returns how many."""
        return (await self.claims.delete_many(claims_older_than(now - self.lease))).deleted_count

    async def _release(self, keys: list[str], holder: str) -> None:
        if not keys:
            return
        try:
            await self.claims.bulk_write([DeleteOne(claim_by(key, holder)) for key in keys], ordered=False)
        except PyMongoError as exc:  # the lease frees them; the error that brought us here matters more
            log.warning("identity key claims not released", keys=len(keys), error=repr(exc))

    async def _expire(self, key: str, now: datetime) -> None:
        """Take a claim over whose holder is gone (its lease ran out), so the next attempt can claim the key."""
        claim = await self.claims.find_one(by_id(key))
        if claim is not None and claim["at"] < now - self.lease:
            await self.claims.delete_one(claim_by(key, claim["by"]))
            log.warning("identity key claim expired and taken over", claimed_at=claim["at"].isoformat())


class GaveUp(Exception):
    """Raised inside ``KeyClaims.holding`` before any write: the claims are given back, ``reason`` raised."""

    def __init__(self, reason: BaseException) -> None:
        super().__init__(str(reason))
        self.reason = reason


class CustomerArchive:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.customers = db.customers
        self.keys = db.customer_keys
        self.properties = db.customer_properties
        self.claims = KeyClaims(db)
        self._cache = _KeyCache()

    @asynccontextmanager
    async def linking(self, keys: dict[str, str]) -> AsyncIterator[None]:
        """Hold the keys a decision is about to link, and check they are still unknown: else ``ConcurrentChange``.

        The decision read the owners before; a key another writer linked since then
        (to another customer) makes it stale, and the batch is decided again on fresh
        owners. The claims outlive the block (``KeyClaims``), so nobody links the keys
        elsewhere while its writes are under way or after they failed half-way.
        """
        async with self.claims.holding(keys):
            if keys:
                linked = {d["_id"]: str(d["customer_id"]) for d in await self.keys.find(by_ids(keys)).to_list()}
                for key, customer_id in linked.items():
                    self._cache.put(key, customer_id)
                if any(customer_id != keys[key] for key, customer_id in linked.items()):
                    raise GaveUp(ConcurrentChange("identity keys were linked to other customers meanwhile"))
            yield

    async def find_or_create(
        self, identity: CallerIdentity, *, name: str | None, prop: dict[str, Any] | None, seen_at: datetime
    ) -> str:
        """One caller outside a batch (a handover), by the batch path's rules and writes.

        The strongest key already known decides the customer (``customer_for``); keys not
        yet known are linked to it. ``record`` writes the customer before its keys, so a
        process dying in between never leaves a key naming a customer that does not
        exist (the batch path trusts a known key). The keys are linked all or none
        (``linking``); one claimed or linked by another writer meanwhile
        (``ConcurrentChange``) means reading the owners again, after a short wait.
        """
        async def attempt() -> str:
            owners = await self.owners(identity.keys)
            customer_id = customer_for(identity, owners)
            # Inserted when new, and again for a known caller: a customer a key names is healed if it is missing.
            customers = [Customer(id=customer_id, name=name, created_at=seen_at)]
            keys = {key: customer_id for key in identity.keys if key not in owners}
            props = []
            if prop:
                prop_id = "|".join([customer_id, prop["project"], prop.get("building") or "", prop.get("unit") or ""])
                props.append({"_id": prop_id, "customer_id": customer_id, **prop, "since": seen_at})
            async with self.linking(keys):
                await self.record(customers, keys, props)
            return customer_id

        # A key claimed or linked by another writer: read the owners again once it is done (claims are brief).
        return await retry(attempt, initial_s=0.02, max_s=1.0, attempts=12,
                           retry_on=lambda exc: isinstance(exc, ConcurrentChange))

    async def owners(self, keys: Iterable[str]) -> dict[str, str]:
        """The customer of each identity key that has one: cached ones from memory, the rest in one read."""
        found: dict[str, str] = {}
        missing = []
        for key in set(keys):
            cached = self._cache.get(key)
            if cached:
                found[key] = cached
            else:
                missing.append(key)
        if missing:
            for doc in await self.keys.find(by_ids(missing)).to_list():
                found[doc["_id"]] = str(doc["customer_id"])
                self._cache.put(doc["_id"], str(doc["customer_id"]))
        return found

    async def record(self, customers: list[Customer], keys: dict[str, str], properties: list[dict[str, Any]]) -> None:
        """Write a batch's new customers, then their identity keys, then property links, each in one bulk insert.

        Customers go first: a key that exists names a customer that exists. Called within
        ``linking(keys)``, which makes sure no other writer links these keys meanwhile;
        a key found taken anyway (a claim taken over after its lease) still raises
        ``ConcurrentChange`` rather than pass a stale decision.
        """
        await insert_new(self.customers, [c.to_doc() for c in customers])
        taken, _ = await asyncio.gather(insert_new(self.keys, [{"_id": k, "customer_id": c} for k, c in keys.items()]),
                                        insert_new(self.properties, properties))
        if taken:
            stored = {d["_id"]: str(d["customer_id"]) for d in await self.keys.find(by_ids(taken)).to_list()}
            lost = [k for k in taken if stored.get(k) != keys[k]]
            if lost:
                raise ConcurrentChange(f"{len(lost)} identity keys were linked to other customers meanwhile")
        for key, customer_id in keys.items():
            self._cache.put(key, customer_id)

    async def profile(self, customer_id: str) -> dict[str, Any] | None:
        customer = await self.customers.find_one(by_id(customer_id))
        if customer is None:
            return None
        keys = [k["_id"] for k in await self.keys.find(of_customer(customer_id)).to_list()]
        props = await self.properties.find(of_customer(customer_id), {"customer_id": 0}).to_list()
        customer["phones"] = sorted(k.removeprefix("phone:") for k in keys if k.startswith("phone:"))
        customer["emails"] = sorted(k.removeprefix("email:") for k in keys if k.startswith("email:"))
        customer["properties"] = [{k: v for k, v in p.items() if k != "_id"} for p in props]
        return customer


class ContactLog:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.contacts = db.contacts

    async def get(self, contact_id: str) -> dict[str, Any] | None:
        return await self.contacts.find_one(by_id(contact_id))

    async def openings(self, contact_ids: Iterable[str]) -> dict[str, Opening]:
        """What these contacts decided about their problems (problem key, case), in one read."""
        ids = set(contact_ids)
        if not ids:
            return {}
        found = await self.contacts.find(by_ids(ids), {"problem_key": 1, "case_id": 1}).to_list()
        return {d["_id"]: Opening(d.get("problem_key"), d["case_id"]) for d in found}

    async def recorded(self, contact_ids: Iterable[str]) -> dict[str, ContactRecord]:
        """The contacts already recorded for these call event ids (redeliveries), in one read."""
        return {d["_id"]: ContactRecord.model_validate(d) for d in await self.contacts.find(by_ids(contact_ids)).to_list()}

    async def record_many(self, contacts: list[ContactRecord]) -> dict[str, ContactRecord]:
        """Insert the batch's contacts; return the stored ones of those recorded meanwhile (their decision wins)."""
        existing = await insert_new(self.contacts, [c.to_doc() for c in contacts])
        return await self.recorded(existing) if existing else {}

    async def history(self, customer_id: str, limit: int, skip: int = 0) -> list[dict[str, Any]]:
        cursor = self.contacts.find(of_customer(customer_id)).sort(HISTORY_SORT).skip(skip).limit(limit)
        return await cursor.to_list()

    async def history_of_cases(self, case_ids: Iterable[str], limit: int, skip: int = 0) -> list[dict[str, Any]]:
        """The contacts of these cases, newest first: what a department sees of a customer's history.

        One indexed read per case (a customer has few cases in one department), each cut at
        ``skip + limit``, merged here: the one ``$in`` query on ``case_id`` would scan.
        """
        found: list[dict[str, Any]] = []
        for case_id in sorted(set(case_ids)):
            found += await self.contacts.find(of_case(case_id)).sort(HISTORY_SORT).limit(skip + limit).to_list()
        found.sort(key=lambda c: (c["received_at"], c["_id"]), reverse=True)
        return found[skip:skip + limit]


class ProblemIndex:
    """Open problems per customer and property (``open_problems``), so a new contact finds its open case.

    Kept small: problems whose window passed or whose case closed a while ago are
    pruned (a contact about them opens a new case either way), so the hot read of a
    batch's problems stays an index lookup on a small collection.
    """

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.problems = db.open_problems

    async def load(self, keys: Iterable[str]) -> dict[str, OpenProblem]:
        keys = list(keys)
        if not keys:
            return {}
        return {d["_id"]: OpenProblem.model_validate(d) for d in await self.problems.find(by_ids(keys)).to_list()}

    async def write(self, new: list[OpenProblem], changed: list[tuple[OpenProblem, int]]) -> None:
        """Claim new problems (unique ``_id``) and update changed ones if unchanged since read.

        Another writer in between (a concurrent instance, a status change) makes the
        batch's decisions stale: ``ConcurrentChange``, the batch is read and decided again.
        """
        claimed = await insert_new(self.problems, [p.model_copy(update={"rev": 1}).to_doc() for p in new])
        if claimed:
            raise ConcurrentChange(f"{len(claimed)} problems were opened by another writer meanwhile")
        if not changed:
            return
        updates = []
        for problem, rev in changed:
            fields = {k: v for k, v in problem.model_copy(update={"rev": rev + 1}).to_doc().items() if k != "_id"}
            updates.append(UpdateOne(problem_at_rev(problem.id, rev), {"$set": fields}))
        result = await self.problems.bulk_write(updates, ordered=False)
        if result.matched_count < len(updates):
            raise ConcurrentChange(f"{len(updates) - result.matched_count} problems changed meanwhile")

    async def apply_moves(self, writes: ProblemWrites) -> None:
        """Routing moved cases: closed problems take new cases, reopened ones follow-ups again (``domain.moves``).

        A reopened case whose problem was pruned is put back (an insert); a problem of a
        case is opened or closed with one bulk update, each filtered on its case, so a
        newer case of the same problem (another ``case_id`` under the key, written
        meanwhile) is left alone; ``rev`` counts the write, so a call batch that read the
        problem before decides again. A problem pruned between the read and the write
        is put back by the update of an open case; a key found taken is another case's.
        """
        await insert_new(self.problems, [p.to_doc() for p in writes.new])  # taken: another case's, left alone
        if not writes.changed:
            return
        updates = []
        for state in writes.changed:
            update: dict[str, Any] = {"$set": {"open": state.open, "closed_at": None if state.open else state.at},
                                      "$inc": {"rev": 1}}
            if state.open:
                update["$setOnInsert"] = {"opened_at": state.at, "last_contact_at": state.at, "recent": []}
            updates.append(UpdateOne(problem_of_case(state.problem_key, state.case_id), update, upsert=state.open))
        await upsert_each(self.problems, updates)  # a key found taken: another case's problem, left alone

    async def prune(self, now: datetime, window: timedelta, closed_grace: timedelta) -> int:
        """Drop problems no contact can follow up any more; returns how many."""
        quiet = await self.problems.delete_many(problems_quiet_since(now - window))
        closed = await self.problems.delete_many(problems_closed_before(now - closed_grace))
        return quiet.deleted_count + closed.deleted_count


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
