"""Notifications' store, in its own database. Everything that several instances write is insert-only.

* ``notifications``: one notice per ``case.assigned`` (the department's "new case",
  what dashboards and the demo count), with the ids of the messages it caused.
* ``messages``: one record per (cause event, recipient, channel), inserted once:
  what is said, to whom, where, and from when it may go out. Messages on the
  ``inbox`` channel are delivered by being recorded: the staff inboxes are these
  records (``GET /notifications?recipient=...&channel=inbox``).
* ``schedules``: the durable outbox, one small document per attempt that is due
  (``<message>|<n>``), carrying a copy of what the provider needs; deleted when
  settled, so the delivery loop only ever scans pending work.
* ``attempts``: the claims (``<message>|<n>``): whoever inserts one sends that attempt.
* ``outcomes``: the result of each attempt (``<message>|<n>``); the status is derived from them.
* ``failures``: one per message that failed for good.
* ``preferences``: owners' channel and language.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kefu_kit import insert_once
from pymongo import ASCENDING, DESCENDING
from pymongo.errors import BulkWriteError
from pymongo.asynchronous.database import AsyncDatabase

from ..domain.keys import attempt_id

DUPLICATE_KEY = 11000


async def ensure_indexes(db: AsyncDatabase[dict[str, Any]]) -> None:
    await db.notifications.create_index([("case_id", ASCENDING)])
    await db.messages.create_index([("recipient", ASCENDING), ("created_at", DESCENDING)])
    await db.messages.create_index([("case_id", ASCENDING)])
    await db.schedules.create_index([("due_at", ASCENDING)])
    await db.outcomes.create_index([("message_id", ASCENDING)])


class NotificationStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.notifications = db.notifications
        self.messages = db.messages
        self.schedules = db.schedules
        self.attempts = db.attempts
        self.outcomes = db.outcomes
        self.failures = db.failures
        self.preferences = db.preferences

    # --- recording what is to be said -------------------------------------------------------

    async def record_notice(self, notice: dict[str, Any]) -> bool:
        return await insert_once(self.notifications, notice)

    async def add_messages(self, messages: list[dict[str, Any]]) -> list[bool]:
        """Insert each message once, in one round trip; False for those that exist (a redelivered event)."""
        if not messages:
            return []
        try:
            await self.messages.insert_many(messages, ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            existing = {e["index"] for e in errors}
            return [i not in existing for i in range(len(messages))]
        return [True] * len(messages)

    async def ever_attempted(self, message_id: str) -> bool:
        return await self.attempts.find_one({"_id": attempt_id(message_id, 1)}) is not None

    async def schedule(self, message: dict[str, Any], attempt: int, due_at: datetime) -> bool:
        """Put attempt ``attempt`` of ``message`` in the outbox (once)."""
        return await insert_once(self.schedules, {
            "_id": attempt_id(message["_id"], attempt), "message_id": message["_id"], "attempt": attempt,
            "due_at": due_at, "message": message,
        })

    # --- the delivery loop's side -------------------------------------------------------------

    async def due(self, now: datetime, limit: int) -> list[dict[str, Any]]:
        return await self.schedules.find({"due_at": {"$lte": now}}).sort("due_at", ASCENDING).limit(limit).to_list()

    async def claim(self, schedule: dict[str, Any], at: datetime, instance: str) -> bool:
        return await insert_once(self.attempts, {"_id": schedule["_id"], "message_id": schedule["message_id"],
                                                 "attempt": schedule["attempt"], "claimed_at": at,
                                                 "instance": instance})

    async def claim_of(self, schedule_id: str) -> dict[str, Any] | None:
        return await self.attempts.find_one({"_id": schedule_id})

    async def outcome_of(self, schedule_id: str) -> dict[str, Any] | None:
        return await self.outcomes.find_one({"_id": schedule_id})

    async def record_outcome(self, outcome: dict[str, Any]) -> dict[str, Any]:
        """The attempt's outcome as stored: the first one recorded wins."""
        if await insert_once(self.outcomes, outcome):
            return outcome
        return await self.outcome_of(outcome["_id"]) or outcome

    async def record_failure(self, failure: dict[str, Any]) -> bool:
        return await insert_once(self.failures, failure)

    async def settled(self, schedule_id: str) -> None:
        await self.schedules.delete_one({"_id": schedule_id})

    # --- reading -------------------------------------------------------------------------------

    async def message(self, message_id: str) -> dict[str, Any] | None:
        return await self.messages.find_one({"_id": message_id})

    async def find_messages(self, filters: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        return await self.messages.find(filters).sort("created_at", DESCENDING).limit(limit).to_list()

    async def outcomes_for(self, message_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        by_message: dict[str, list[dict[str, Any]]] = {m: [] for m in message_ids}
        for outcome in await self.outcomes.find({"message_id": {"$in": message_ids}}).to_list():
            by_message[outcome["message_id"]].append(outcome)
        for outcomes in by_message.values():
            outcomes.sort(key=lambda o: o["attempt"])
        return by_message

    async def pending_for(self, message_ids: list[str]) -> dict[str, datetime]:
        """When each still-pending message's next attempt is due."""
        rows = await self.schedules.find({"message_id": {"$in": message_ids}}).to_list()
        return {r["message_id"]: r["due_at"] for r in rows}

    # --- owners' preferences -------------------------------------------------------------------

    async def preference(self, customer_id: str) -> dict[str, Any] | None:
        return await self.preferences.find_one({"_id": customer_id})

    async def set_preference(self, customer_id: str, preference: dict[str, Any]) -> None:
        """Replace the owner's preference (the owner's latest word wins)."""
        doc = {"_id": customer_id, **preference}
        if not await insert_once(self.preferences, doc):
            await self.preferences.replace_one({"_id": customer_id}, doc)
