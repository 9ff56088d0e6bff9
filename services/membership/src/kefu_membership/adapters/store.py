"""Membership's collections, in membership's own database.

* ``members`` (+ ``members_revisions``, ``members_outbox``): one aggregate per member
  (profile, properties, tier), changed through ``AggregateStore`` because joins,
  handovers, ledger changes and the periodic review may change it at once. ``MemberStore``
  is where documents become ``Member``s and back: the use cases never see a member's dict.
* ``activities`` (+ revisions, outbox): community events with their roster, also
  aggregates, so concurrent sign-ups cannot overfill one.
* ``points``: the ledger, insert-only. Credits have ids derived from their cause
  (one credit per cause); debits claim ``<member>|debit|<seq>`` in sequence, so
  debits of one member are serialised and never overdraw the balance.
* ``merchants``, ``offers``: alliance merchants and their offers (written once).
* ``offer_slots``: claimed redemption slots, bounding redemptions per member and in total;
  ``offer_counts``: how many total slots an offer has given, the hint where a claim starts
  looking (a hint only: the slots' unique ids bound the redemptions, a stale hint costs tries).
* ``redemptions``: what was redeemed, with its code. ``referrals``: one per buyer's contract.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from kefu_contracts import Event, derived_event_id
from kefu_kit import insert_once
from kefu_kit.aggregates import AggregateStore, Change, ConcurrentChange, Publish
from kefu_kit.pages import keyset_page
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from ..domain.members import Member
from ..domain.points import Entry, require_debit

Doc = dict[str, Any]


async def ensure_indexes(db: AsyncDatabase[Doc]) -> None:
    """One index per query shape below (SecantusDB uses an index only when the filter is a prefix of its keys)."""
    await db.points.create_index([("member_id", ASCENDING), ("at", ASCENDING), ("_id", ASCENDING)])
    await db.redemptions.create_index([("member_id", ASCENDING), ("at", ASCENDING), ("_id", ASCENDING)])
    await db.offers.create_index([("merchant_id", ASCENDING), ("created_at", ASCENDING), ("_id", ASCENDING)])
    await db.activities.create_index([("closed", ASCENDING), ("ends_at", ASCENDING)])
    # an id range is served only by a compound index that starts with _id (not by _id_ itself)
    await db.members.create_index([("_id", ASCENDING), ("customer_id", ASCENDING)])


# --- the filters the store sends (tests/integration/test_query_plans_membership.py explains each) ---

def by_id(doc_id: str) -> Doc:
    return {"_id": doc_id}


def member_buckets() -> list[tuple[str, str]]:
    """256 id ranges that together hold every member (ids are ``M`` and 12 uniform hex digits).

    The review reads one range at a time: a bounded read of about 1/256 of the members. (Paging
    "after the last id" would not be: the store collects every later member before the limit.)
    """
    edges = [f"M{k:02X}" for k in range(256)] + ["MG"]  # "MG" sorts after every "MFF..."
    return list(zip(edges, edges[1:]))


def members_between(low: str, high: str) -> Doc:
    return {"_id": {"$gte": low, "$lt": high}}


def of_member(member_id: str) -> Doc:
    return {"member_id": member_id}


def of_merchant(merchant_id: str) -> Doc:
    return {"merchant_id": merchant_id}


def due_to_close_filter(now: datetime) -> Doc:
    return {"closed": False, "ends_at": {"$lte": now}}


@dataclass
class Changed:
    """What a member change returns: the member as changed (its own copy) and the events it owes."""

    member: Member
    events: list[Event] = field(default_factory=list)


MemberChangeFn = Callable[[Member], Changed | None]


class MemberStore:
    """Members over the aggregate store: ``Member``s in and out, documents (``Member.to_doc``) in the store.

    The revisions, outbox and snapshots are the aggregate store's, unchanged; only the values the use
    cases see are typed. A change function gets its own ``Member`` (read from a private copy of the
    document) and returns ``Changed`` or None for "nothing to do", as ``AggregateStore.mutate`` says.
    """

    def __init__(self, db: AsyncDatabase[Doc], publish: Publish) -> None:
        self.aggregates = AggregateStore(db, "members", publish)
        self.snapshots = self.aggregates.snapshots

    async def get(self, member_id: str) -> Member | None:
        doc = await self.aggregates.get(member_id)
        return None if doc is None else Member.from_doc(doc)

    async def create(self, member: Member, events: list[Event]) -> tuple[Member, bool]:
        """Create at revision 1; if it exists (a redelivery, a racing join), the stored one and False."""
        doc, created = await self.aggregates.create(member.to_doc(), events)
        return Member.from_doc(doc), created

    async def mutate(self, member_id: str, fn: MemberChangeFn) -> Member:
        """Apply ``fn`` to the current member as the next revision (``AggregateStore.mutate``); the member after."""
        def change(doc: Doc) -> Change | None:
            changed = fn(Member.from_doc(doc))
            return None if changed is None else Change(changed.member.to_doc(), changed.events)

        return Member.from_doc(await self.aggregates.mutate(member_id, change))

    async def between(self, low: str, high: str) -> list[Member]:
        return [Member.from_doc(doc) for doc in await self.snapshots.find(members_between(low, high)).to_list()]

    async def relay_once(self, older_than: timedelta = timedelta(seconds=5)) -> int:
        return await self.aggregates.relay_once(older_than)


class ActivityStore(AggregateStore):
    def __init__(self, db: AsyncDatabase[Doc], publish: Publish) -> None:
        super().__init__(db, "activities", publish)

    async def due_to_close(self, now: datetime) -> list[Doc]:
        return await self.snapshots.find(due_to_close_filter(now)).to_list()


def as_entries(docs: list[Doc]) -> list[Entry]:
    return [Entry(d["points"], d["at"]) for d in docs]


class Ledger:
    """The points ledger: append-only, one credit per cause, debits serialised per member."""

    def __init__(self, db: AsyncDatabase[Doc], max_attempts: int = 20) -> None:
        self.points = db.points
        self._max_attempts = max_attempts

    async def entries(self, member_id: str) -> list[Doc]:
        docs = await self.points.find(of_member(member_id)).to_list()
        return sorted(docs, key=lambda d: (d["at"], d["_id"]))

    async def page(self, member_id: str, cursor: str | None, limit: int) -> tuple[list[Doc], str | None]:
        """The member's entries, oldest first, one page."""
        return await keyset_page(self.points, of_member(member_id), "at", ASCENDING, cursor, limit)

    async def credit(self, member_id: str, points: int, rule: str, source: str, at: datetime, **detail: Any) -> bool:
        """Credit ``points`` for ``source`` under ``rule``; False when that cause was credited already."""
        if points <= 0:
            return False
        return await insert_once(self.points, {
            "_id": derived_event_id("points", source, rule), "member_id": member_id, "points": points,
            "rule": rule, "source": source, "at": at, **detail,
        })

    async def debit(
        self, member_id: str, key: str, amount_of: Callable[[list[Entry]], int], rule: str, at: datetime,
        **detail: Any,
    ) -> tuple[Doc | None, bool]:
        """Debit what ``amount_of(entries)`` says, once per ``key``: (the entry or None, whether it is new).

        Raises ``NotEnoughPoints`` when the amount exceeds the balance. Debits
        claim the member's next sequence number by insert: of two concurrent
        debits one wins, the other re-reads the ledger (with the winner's debit)
        and checks the balance again.
        """
        for _ in range(self._max_attempts):
            docs = await self.entries(member_id)
            done = next((d for d in docs if d.get("key") == key), None)
            if done is not None:
                return done, False
            entries = as_entries(docs)
            amount = amount_of(entries)
            if amount <= 0:
                return None, False
            require_debit(entries, amount)
            seq = 1 + max((d["seq"] for d in docs if "seq" in d), default=0)
            doc = {"_id": f"{member_id}|debit|{seq:08d}", "seq": seq, "key": key, "member_id": member_id,
                   "points": -amount, "rule": rule, "at": at, **detail}
            if await insert_once(self.points, doc):
                return doc, True
            await asyncio.sleep(0.005)
        raise ConcurrentChange(f"{member_id}: {self._max_attempts} debits in a row raced")


class Benefits:
    """Merchants, offers, the slots that bound redemptions, and the redemptions."""

    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.merchants = db.merchants
        self.offers = db.offers
        self.slots = db.offer_slots
        self.redemptions = db.redemptions
        self.counts = db.offer_counts

    async def claim(self, slot_ids: list[str], **detail: Any) -> str | None:
        """Insert the first free slot of ``slot_ids``; None when all are taken."""
        for slot_id in slot_ids:
            if await insert_once(self.slots, {"_id": slot_id, **detail}):
                if detail.get("kind") == "total":
                    await self.counts.update_one(by_id(detail["offer_id"]), {"$inc": {"taken": 1}}, upsert=True)
                return slot_id
        return None

    async def release(self, slot_id: str) -> None:
        slot = await self.slots.find_one(by_id(slot_id))  # (find_one_and_delete would scan on SecantusDB)
        deleted = await self.slots.delete_one(by_id(slot_id))
        if slot is not None and deleted.deleted_count and slot.get("kind") == "total":
            await self.counts.update_one(by_id(slot["offer_id"]), {"$inc": {"taken": -1}})

    async def taken(self, offer_id: str) -> int:
        """How many total slots are probably taken (a hint: see ``offer_counts``)."""
        doc = await self.counts.find_one(by_id(offer_id))
        return int(doc["taken"]) if doc else 0

    async def merchant(self, merchant_id: str) -> Doc | None:
        return await self.merchants.find_one(by_id(merchant_id))

    async def offer(self, offer_id: str) -> Doc | None:
        return await self.offers.find_one(by_id(offer_id))

    async def offers_of(self, merchant_id: str, cursor: str | None, limit: int) -> tuple[list[Doc], str | None]:
        """A merchant's offers, oldest first, one page."""
        return await keyset_page(self.offers, of_merchant(merchant_id), "created_at", ASCENDING, cursor, limit)

    async def of_member(self, member_id: str, cursor: str | None, limit: int) -> tuple[list[Doc], str | None]:
        """A member's redemptions, oldest first, one page."""
        return await keyset_page(self.redemptions, of_member(member_id), "at", ASCENDING, cursor, limit)


class Referrals:
    """Referred buyers (老带新), one per contract."""

    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.referrals = db.referrals

    async def record(self, doc: Doc) -> tuple[Doc, bool]:
        """Record a referral; when its contract is known, the recorded one and False."""
        if await insert_once(self.referrals, doc):
            return doc, True
        return await self.referrals.find_one(by_id(doc["_id"])) or doc, False
