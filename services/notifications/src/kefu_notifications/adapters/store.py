"""Notifications' store, in its own database. Everything that several instances write is insert-only.

* ``notifications``: one notice per ``case.assigned`` (the department's "new case",
  what dashboards and the demo count), with the ids of the messages it caused.
* ``messages``: one record per (cause event, recipient, channel), inserted once:
  what is said, to whom, where, and from when it may go out; its ``status`` (and the
  list ``facets`` it makes) is set by the one claimant of the attempt that settles it. Messages on the
  ``inbox`` channel are delivered by being recorded: the staff inboxes are these
  records (``GET /notifications?recipient=...&channel=inbox``).
* ``schedules``: the durable outbox, one small document per attempt that is due
  (``<message>|<n>``), carrying a copy of what the provider needs; deleted when
  settled, so the delivery loop only ever scans pending work. Not the kit's outbox
  (``kefu_kit.outbox``, events owed to the broker, relayed by publishing them again): an entry
  here is a delivery owed to a provider, sent by whichever instance claims the attempt (with
  a lease, an outcome, and the provider back-off of ``domain.retry``), which a repeat would
  send to a phone twice, not to a consumer that drops repeats.
* ``attempts``: the claims (``<message>|<n>``): whoever inserts one sends that attempt. Kept: they
  are the idempotency keys (read by ``_id`` only), so a redelivered event never re-sends.
* ``outcomes``: the result of each attempt (``<message>|<n>``); the status is derived from them.
* ``failures``: one per message that failed for good.
* ``preferences``: owners' channel and language.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from kefu_kit import insert_each, insert_new, insert_once
from kefu_kit.pages import FACETS, facet_match, facets_of, keyset_page, page_index
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from ..domain.keys import attempt_id
from ..domain.messages import Message, Notice
from ..domain.recipients import Preference
from ..domain.status import derive_status

LIST_FIELDS = ("recipient", "case_id", "channel", "status")  # what GET /notifications filters on
# a case has a handful of messages: its id gets a facet of its own and joins no combination (kefu_kit.pages)
LIST_SOLO = ("case_id",)
LIST_KEY = "created_at"  # newest first
LIST_WINDOW = timedelta(minutes=5)  # the first window a page reads back from now (kefu_kit.pages)


async def ensure_indexes(db: AsyncDatabase[dict[str, Any]]) -> None:
    """One index per query shape below (SecantusDB uses an index only when the filter is a prefix of its keys)."""
    await db.notifications.create_index([("case_id", ASCENDING)])
    await db.messages.create_index(page_index(LIST_KEY, DESCENDING))
    await db.schedules.create_index([("due_at", ASCENDING)])
    await db.schedules.create_index([("message_id", ASCENDING)])
    await db.outcomes.create_index([("message_id", ASCENDING)])


async def backfill_list_fields(db: AsyncDatabase[dict[str, Any]]) -> int:
    """Give messages stored before lists were filtered in the store their status and facets (once: then none
    lacks them, and this reads nothing)."""
    done = 0
    for message in await db.messages.find(unlisted()).to_list():
        outcomes = await db.outcomes.find(of_messages([message["_id"]])).sort("attempt", ASCENDING).to_list()
        status = derive_status(message, outcomes)
        await db.messages.update_one(by_id(message["_id"]), {"$set": {
            "status": status, FACETS: message_facets(message, status)}})
        done += 1
    return done


# --- the filters the store sends (tests/integration/test_query_plans_notifications.py explains each) ---

def by_id(doc_id: str) -> dict[str, Any]:
    return {"_id": doc_id}


def by_ids(doc_ids: Iterable[str]) -> dict[str, Any]:
    """A batch's point reads in one query (``$in`` on ``_id`` is served by the ``_id`` index)."""
    return {"_id": {"$in": list(doc_ids)}}


def unlisted() -> dict[str, Any]:
    return {FACETS: None}


def due_filter(now: datetime) -> dict[str, Any]:
    return {"due_at": {"$lte": now}}


def of_messages(message_ids: list[str]) -> dict[str, Any]:
    return {"message_id": {"$in": message_ids}}


def list_filter(**filters: Any) -> dict[str, Any]:
    """A list request's filters (recipient, case_id, channel, status) as the facet that selects them (with a case
    id: its own facet; the other filters are then checked on its few messages, see ``list_residual``)."""
    return facet_match(_list_fields(filters), solo=LIST_SOLO)[0]


def list_residual(**filters: Any) -> dict[str, Any]:
    """What a list request's facet leaves to check on the messages it finds (nothing without a case id)."""
    return facet_match(_list_fields(filters), solo=LIST_SOLO)[1]


def _list_fields(filters: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in filters.items() if k in LIST_FIELDS and v is not None}


def message_facets(message: dict[str, Any], status: str) -> list[str]:
    return facets_of({"recipient": message["recipient"], "case_id": message.get("case_id"),
                      "channel": message["channel"], "status": status}, solo=LIST_SOLO)


def message_doc(message: Message) -> dict[str, Any]:
    """A message as stored: its fields, and the list facets its status makes."""
    doc = message.to_doc()
    doc[FACETS] = message_facets(doc, message.status)
    return doc


def schedule_doc(message: dict[str, Any], attempt: int, due_at: datetime) -> dict[str, Any]:
    """Attempt ``attempt`` of ``message`` in the outbox, with a copy of what the provider needs."""
    return {"_id": attempt_id(message["_id"], attempt), "message_id": message["_id"], "attempt": attempt,
            "due_at": due_at, "message": message}


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

    # --- a batch's reads and bulk writes (one round trip per collection) ------------------------

    async def record_messages(self, messages: list[Message]) -> set[str]:
        """Insert a batch's messages; the ids of those that were stored already (redeliveries)."""
        return await insert_new(self.messages, [message_doc(m) for m in messages])

    async def messages_by_ids(self, message_ids: Iterable[str]) -> dict[str, Message]:
        return {d["_id"]: Message.from_doc(d) for d in await self.messages.find(by_ids(message_ids)).to_list()}

    async def first_attempt_claimed(self, message_ids: Iterable[str]) -> set[str]:
        """Which of these messages had their first attempt claimed (the delivery loop has them)."""
        claims = await self.attempts.find(by_ids(attempt_id(m, 1) for m in message_ids),
                                          {"message_id": 1}).to_list()
        return {c["message_id"] for c in claims}

    async def schedule_first_attempts(self, messages: list[Message]) -> set[str]:
        """Put the first attempt of each message in the outbox (once); the ids of those already there."""
        return await insert_new(self.schedules, [schedule_doc(message_doc(m), 1, m.send_at) for m in messages])

    async def record_failures(self, failures: list[dict[str, Any]]) -> set[str]:
        return await insert_new(self.failures, failures)

    async def failures_by_ids(self, message_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        return {d["_id"]: d for d in await self.failures.find(by_ids(message_ids)).to_list()}

    async def record_notices(self, notices: list[Notice]) -> set[str]:
        return await insert_new(self.notifications, [n.to_doc() for n in notices])

    async def preferences_of(self, customer_ids: Iterable[str]) -> dict[str, Preference]:
        """Owners' preferences in one read; owners without one are absent."""
        ids = list(customer_ids)
        if not ids:
            return {}
        return {d["_id"]: Preference(d.get("channel"), d["locale"])
                for d in await self.preferences.find(by_ids(ids)).to_list()}

    async def add_messages(self, messages: list[dict[str, Any]]) -> list[bool]:
        """Insert each message once, in one round trip; False for those that exist (a redelivered event)."""
        return await insert_each(self.messages, messages)

    async def ever_attempted(self, message_id: str) -> bool:
        return await self.attempts.find_one(by_id(attempt_id(message_id, 1))) is not None

    async def set_status(self, message: dict[str, Any], status: str) -> None:
        """The settled status, for list filters (the API still shows the status derived from the outcomes)."""
        await self.messages.update_one(by_id(message["_id"]), {"$set": {
            "status": status, FACETS: message_facets(message, status)}})

    async def schedule(self, message: dict[str, Any], attempt: int, due_at: datetime) -> bool:
        """Put attempt ``attempt`` of ``message`` in the outbox (once)."""
        return await insert_once(self.schedules, schedule_doc(message, attempt, due_at))

    # --- the delivery loop's side -------------------------------------------------------------

    async def due(self, now: datetime, limit: int) -> list[dict[str, Any]]:
        return await self.schedules.find(due_filter(now)).sort("due_at", ASCENDING).limit(limit).to_list()

    async def claim(self, schedule: dict[str, Any], at: datetime, instance: str) -> bool:
        return await insert_once(self.attempts, {"_id": schedule["_id"], "message_id": schedule["message_id"],
                                                 "attempt": schedule["attempt"], "claimed_at": at,
                                                 "instance": instance})

    async def claim_of(self, schedule_id: str) -> dict[str, Any] | None:
        return await self.attempts.find_one(by_id(schedule_id))

    async def outcome_of(self, schedule_id: str) -> dict[str, Any] | None:
        return await self.outcomes.find_one(by_id(schedule_id))

    async def record_outcome(self, outcome: dict[str, Any]) -> dict[str, Any]:
        """The attempt's outcome as stored: the first one recorded wins."""
        if await insert_once(self.outcomes, outcome):
            return outcome
        return await self.outcome_of(outcome["_id"]) or outcome

    async def record_failure(self, failure: dict[str, Any]) -> bool:
        return await insert_once(self.failures, failure)

    async def settled(self, schedule_id: str) -> None:
        await self.schedules.delete_one(by_id(schedule_id))

    # --- reading -------------------------------------------------------------------------------

    async def message(self, message_id: str) -> dict[str, Any] | None:
        return await self.messages.find_one(by_id(message_id))

    async def failure(self, message_id: str) -> dict[str, Any] | None:
        return await self.failures.find_one(by_id(message_id))

    async def find_messages(self, filters: dict[str, Any], cursor: str | None,
                            limit: int) -> tuple[list[dict[str, Any]], str | None]:
        """One page of messages, newest first, filtered in the store; and the next page's cursor."""
        return await keyset_page(self.messages, list_filter(**filters), LIST_KEY, DESCENDING, cursor, limit,
                                 window=LIST_WINDOW, residual=list_residual(**filters))

    async def outcomes_for(self, message_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        by_message: dict[str, list[dict[str, Any]]] = {m: [] for m in message_ids}
        for outcome in await self.outcomes.find(of_messages(message_ids)).to_list():
            by_message[outcome["message_id"]].append(outcome)
        for outcomes in by_message.values():
            outcomes.sort(key=lambda o: o["attempt"])
        return by_message

    async def pending_for(self, message_ids: list[str]) -> dict[str, datetime]:
        """When each still-pending message's next attempt is due."""
        rows = await self.schedules.find(of_messages(message_ids)).to_list()
        return {r["message_id"]: r["due_at"] for r in rows}

    # --- owners' preferences -------------------------------------------------------------------

    async def preference(self, customer_id: str) -> dict[str, Any] | None:
        return await self.preferences.find_one(by_id(customer_id))

    async def set_preference(self, customer_id: str, preference: dict[str, Any]) -> None:
        """Replace the owner's preference (the owner's latest word wins)."""
        doc = {"_id": customer_id, **preference}
        if not await insert_once(self.preferences, doc):
            await self.preferences.replace_one(by_id(customer_id), doc)
