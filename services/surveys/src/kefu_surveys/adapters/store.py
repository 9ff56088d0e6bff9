"""The surveys service's store, in its own database.

FerretDB scans whole collections and applies updates without locking, so every effect
that must happen once is an insert with a deterministic ``_id`` (a *claim*), and a
document's status is only written by the claim's winner (and is repaired from the
claims when a writer died in between).

* ``surveys``: one document per survey (return visit, campaign survey, event feedback);
  ``status`` pending_customer → scheduled → open → answered | (retry: open again) | unreachable.
* ``outbox``: each ``survey.due`` to publish, ``_id`` = its event id (the claim that fires it
  once), with its send time and whether it was sent; the relay publishes what a dead writer left.
* ``answers``: one per survey, ``_id`` = survey id (the claim: a second answer is refused),
  with the ``survey.answered`` event it owes and what results are counted from.
* ``links`` / ``link_uses``: owners' answer links, by SHA-256 of the token; a use is a claim.
* ``customers``: how to reach owners (learned from events, campaigns and answers).
* ``cases``: case → customer, department, project (insert-first, learned from case.status_changed).
* ``campaigns`` (+ revisions, outbox): campaigns are aggregates (the pacer of every instance and the
  pause/resume API change them); ``campaign_owners``: their owners, insert-only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from kefu_contracts import TOPICS, Event
from kefu_kit import get_logger, insert_once
from kefu_kit.aggregates import AggregateStore
from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

log = get_logger(__name__)
Publish = Callable[[Event], Awaitable[None]]
CONTACT_FIELDS = ("name", "phone", "email", "wechat_openid")


async def ensure_indexes(db: AsyncDatabase[dict[str, Any]]) -> None:
    await db.surveys.create_index([("status", ASCENDING), ("due_at", ASCENDING)])
    await db.surveys.create_index([("case_id", ASCENDING)])
    await db.outbox.create_index([("sent", ASCENDING), ("send_at", ASCENDING)])
    await db.answers.create_index([("month", ASCENDING)])
    await db.campaign_owners.create_index([("campaign_id", ASCENDING), ("idx", ASCENDING)])
    await db.customers.create_index([("projects", ASCENDING)])


async def insert_many_once(collection: AsyncCollection[dict[str, Any]], docs: list[dict[str, Any]]) -> None:
    """Insert every document that is not there yet (duplicates are earlier runs of the same effect)."""
    if not docs:
        return
    try:
        await collection.insert_many(docs, ordered=False)
    except BulkWriteError as exc:
        if any(e.get("code") != 11000 for e in exc.details.get("writeErrors", [])):
            raise


def event_from(doc: dict[str, Any]) -> Event:
    return TOPICS[doc["topic"]].model.model_validate(doc["event"])


def topic_of(event: Event) -> str:
    return next(name for name, spec in TOPICS.items() if type(event) is spec.model)


class Outbox:
    """Claims that carry the event they owe: insert once, publish, mark sent; relay what a dead writer left."""

    def __init__(self, collection: AsyncCollection[dict[str, Any]], publish: Publish) -> None:
        self.collection = collection
        self._publish = publish

    @staticmethod
    def entry(claim_id: str, event: Event, send_at: datetime, **fields: Any) -> dict[str, Any]:
        return {"_id": claim_id, "topic": topic_of(event), "event": event.model_dump(mode="json"),
                "send_at": send_at, "sent": False, **fields}

    async def claim(self, claim_id: str, event: Event, send_at: datetime, **fields: Any) -> bool:
        """True for the one writer that claimed it (it must then ``send``); False when claimed before."""
        return await insert_once(self.collection, self.entry(claim_id, event, send_at, **fields))

    async def send(self, claim_id: str, event: Event) -> None:
        await self._publish(event)
        await self.collection.update_one({"_id": claim_id}, {"$set": {"sent": True}})

    async def publish(self, event: Event) -> None:
        """Publish without marking (a caller publishing a batch marks it once with ``mark_sent``)."""
        await self._publish(event)

    async def mark_sent(self, claim_ids: list[str]) -> None:
        await self.collection.update_many({"_id": {"$in": claim_ids}}, {"$set": {"sent": True}})

    async def relay(self, before: datetime) -> int:
        """Publish claimed events still unsent after their send time (their writer died)."""
        pending = await self.collection.find({"sent": False, "send_at": {"$lt": before}}).to_list()
        for doc in pending:
            await self.send(doc["_id"], event_from(doc))
        if pending:
            log.warning("relayed events a writer left unsent", collection=self.collection.name, events=len(pending),
                        oldest=str(min(d["send_at"] for d in pending)))
        return len(pending)


class SurveyStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.surveys = db.surveys

    async def add(self, survey: dict[str, Any]) -> bool:
        return await insert_once(self.surveys, survey)

    async def add_many(self, surveys: list[dict[str, Any]]) -> None:
        await insert_many_once(self.surveys, surveys)

    async def get(self, survey_id: str) -> dict[str, Any] | None:
        return await self.surveys.find_one({"_id": survey_id})

    async def set(self, survey_id: str, **fields: Any) -> None:
        await self.surveys.update_one({"_id": survey_id}, {"$set": fields})

    async def due(self, now: datetime, limit: int = 500) -> list[dict[str, Any]]:
        """Scheduled (or still waiting for their customer) and due."""
        cursor = self.surveys.find({"status": {"$in": ["scheduled", "pending_customer"]}, "due_at": {"$lte": now}})
        return await cursor.sort("due_at", ASCENDING).limit(limit).to_list()

    async def expired(self, now: datetime, limit: int = 500) -> list[dict[str, Any]]:
        cursor = self.surveys.find({"status": "open", "expires_at": {"$lte": now}})
        return await cursor.sort("expires_at", ASCENDING).limit(limit).to_list()

    async def pending_for_case(self, case_id: str) -> list[dict[str, Any]]:
        return await self.surveys.find({"case_id": case_id, "status": "pending_customer"}).to_list()

    async def count(self, filters: dict[str, Any]) -> int:
        return await self.surveys.count_documents(filters)

    async def find(self, filters: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        return await self.surveys.find(filters).sort("due_at", ASCENDING).limit(limit).to_list()


class CustomerStore:
    """How to reach owners; the latest known value of each contact field wins."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.customers = db.customers

    async def learn(self, customer_id: str, contact: dict[str, Any], project: str | None = None) -> None:
        known = {k: v for k, v in contact.items() if k in CONTACT_FIELDS and v}
        if not known and not project:
            return
        update: dict[str, Any] = {"$set": known} if known else {}
        if project:
            update["$addToSet"] = {"projects": project}
        await self.customers.update_one({"_id": customer_id}, update, upsert=True)

    async def contact(self, customer_id: str) -> dict[str, Any]:
        doc = await self.customers.find_one({"_id": customer_id}) or {}
        return {k: doc[k] for k in CONTACT_FIELDS if doc.get(k)}

    async def of_project(self, project: str) -> list[dict[str, Any]]:
        return await self.customers.find({"projects": project}).sort("_id", ASCENDING).to_list()


class CaseMap:
    """Case → customer, department, project, learned insert-first from case.status_changed."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.cases = db.cases

    async def learn(self, case_id: str, customer_id: str, department: str, project: str | None) -> bool:
        """True the first time the case is heard of."""
        return await insert_once(self.cases, {"_id": case_id, "customer_id": customer_id,
                                              "department": department, "project": project})

    async def get(self, case_id: str) -> dict[str, Any] | None:
        return await self.cases.find_one({"_id": case_id})


class LinkStore:
    """Owners' answer links: only the token's SHA-256 is stored; a use is an insert claim."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.links = db.links
        self.uses = db.link_uses

    async def add(self, token_sha256: str, survey_id: str, expires_at: datetime, at: datetime) -> None:
        await self.links.insert_one({"_id": token_sha256, "survey_id": survey_id, "expires_at": expires_at,
                                     "created_at": at})

    async def get(self, token_sha256: str) -> dict[str, Any] | None:
        return await self.links.find_one({"_id": token_sha256})

    async def used(self, token_sha256: str) -> bool:
        return await self.uses.find_one({"_id": token_sha256}) is not None

    async def use(self, token_sha256: str, at: datetime) -> bool:
        """True for the one request that used the link."""
        return await insert_once(self.uses, {"_id": token_sha256, "at": at})


class AnswerStore(Outbox):
    """One answer per survey (the claim) with its ``survey.answered`` event."""

    async def of(self, filters: dict[str, Any]) -> list[dict[str, Any]]:
        return await self.collection.find(filters, {"event": 0}).to_list()

    async def count(self, filters: dict[str, Any]) -> int:
        return await self.collection.count_documents(filters)


class CampaignStore(AggregateStore):
    def __init__(self, db: AsyncDatabase[dict[str, Any]], publish: Publish) -> None:
        super().__init__(db, "campaigns", publish)
        self.owners = db.campaign_owners

    async def running(self) -> list[dict[str, Any]]:
        return await self.snapshots.find({"state": "running"}).to_list()

    async def add_owners(self, owners: list[dict[str, Any]]) -> None:
        await insert_many_once(self.owners, owners)

    async def owners_between(self, campaign_id: str, start: int, end: int) -> list[dict[str, Any]]:
        cursor = self.owners.find({"campaign_id": campaign_id, "idx": {"$gte": start, "$lt": end}})
        return await cursor.sort("idx", ASCENDING).to_list()
