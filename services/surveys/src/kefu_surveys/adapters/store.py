"""The surveys service's store, in its own database; surveys, answers and links are read and written as the
domain's typed models (``domain.surveys``, ``domain.answering``), the rest as documents.

Every effect that must happen once is claimed on the record that is looked up by ``_id``:
a survey's next step is a conditional update of the survey (its ``_id``, status and attempt
as the claimant read them; of concurrent claimants one matches), and it carries the
``survey.due`` it owes in the same write, so no writer can die between the two.

* ``surveys``: one document per survey (return visit, campaign survey, event feedback);
  ``status`` pending_customer → scheduled → open → answered | (retry: open again) | unreachable.
  ``outbox``: the ``survey.due`` the survey still owes (with its send time), removed once
  published: the relay publishes what a dead writer left, and only pending work is indexed.
  ``facets``: what its list filters on (``kefu_kit.pages``).
* ``outbox`` (collection): the ``survey.due`` entries of earlier versions, still relayed.
* ``answers``: one per survey, ``_id`` = survey id (the claim: a second answer is refused),
  with the ``survey.answered`` event it owes and what results are counted from.
* ``links`` / ``link_uses``: owners' answer links, by SHA-256 of the token; a use is a claim.
* ``customers``: how to reach owners (learned from events, campaigns and answers).
* ``cases``: case → customer, department, project (insert-first, learned from case.status_changed).
* ``campaigns`` (+ revisions, outbox): campaigns are aggregates (the pacer of every instance and the
  pause/resume API change them); ``campaign_owners``: their owners, insert-only;
  ``campaign_counts``: surveys published and answered per campaign, counted by whoever made the
  change (a writer that dies between the change and its count leaves the count one short).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from kefu_contracts import Event
from kefu_kit import insert_new, insert_once, outbox
from kefu_kit.aggregates import AggregateStore
from kefu_kit.pages import FACETS, facet, facets_of, keyset_page, page_index
from pymongo import ASCENDING, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from ..domain.answering import AnswerLink, SurveyAnswer
from ..domain.surveys import OwedDue, Survey

Publish = Callable[[Event], Awaitable[None]]
CONTACT_FIELDS = ("name", "phone", "email", "wechat_openid")


LIST_FIELDS = ("status", "kind", "case_id", "campaign_id")  # what GET /surveys filters on
LIST_KEY = "due_at"
LIST_WINDOW = timedelta(days=1)  # the first window a page reads on from the earliest due time (kefu_kit.pages)
HIDDEN = {FACETS: False, "outbox": False}  # bookkeeping the API never shows


async def ensure_indexes(db: AsyncDatabase[dict[str, Any]]) -> None:
    """One index per query shape below (SecantusDB uses an index only when the filter is a prefix of its keys)."""
    await db.surveys.create_index([("status", ASCENDING), ("due_at", ASCENDING)])
    await db.surveys.create_index([("status", ASCENDING), ("expires_at", ASCENDING)])
    await db.surveys.create_index([("case_id", ASCENDING), ("status", ASCENDING)])
    await db.surveys.create_index([("_id", ASCENDING), ("status", ASCENDING), ("attempt", ASCENDING)])
    await db.surveys.create_index([("_id", ASCENDING), ("outbox._id", ASCENDING)])
    await db.surveys.create_index([("outbox.send_at", ASCENDING)])
    await db.surveys.create_index(page_index(LIST_KEY, ASCENDING))
    await db.outbox.create_index([("sent", ASCENDING), ("send_at", ASCENDING)])
    await db.answers.create_index([("sent", ASCENDING), ("send_at", ASCENDING)])
    await db.links.create_index([("expires_at", ASCENDING)])    # pruning expired links
    await db.link_uses.create_index([("at", ASCENDING)])        # pruning old uses
    await db.answers.create_index([(FACETS, ASCENDING)])
    await db.campaign_owners.create_index([("campaign_id", ASCENDING), ("idx", ASCENDING)])
    await db.customers.create_index([("projects", ASCENDING)])
    await db.campaigns.create_index([("state", ASCENDING)])
    await db.campaigns.create_index([("project", ASCENDING)])


async def backfill_list_fields(db: AsyncDatabase[dict[str, Any]]) -> int:
    """Give surveys and answers stored before lists were filtered in the store their facets (once)."""
    done = 0
    for survey in await db.surveys.find(unlisted()).to_list():  # as stored: facets are the store's own
        await SurveyStore(db)._bound([survey[LIST_KEY]])
        await db.surveys.update_one(by_id(survey["_id"]), {"$set": {FACETS: survey_facets(survey)}})
        done += 1
    for answer in await db.answers.find(unlisted(), {"event": 0}).to_list():
        await db.answers.update_one(by_id(answer["_id"]), {"$set": {FACETS: answer_facets(answer)}})
        done += 1
    return done


# --- the filters the store sends (tests/integration/test_query_plans_surveys.py explains each) ---

def by_id(doc_id: str) -> dict[str, Any]:
    return {"_id": doc_id}


def unlisted() -> dict[str, Any]:
    return {FACETS: None}


DUE_STATUSES = ("scheduled", "pending_customer")


def due_filter(status: str, now: datetime) -> dict[str, Any]:
    """One status at a time: a ``$in`` next to another field is not served by an index."""
    return {"status": status, "due_at": {"$lte": now}}


def expired_filter(now: datetime) -> dict[str, Any]:
    return {"status": "open", "expires_at": {"$lte": now}}


def pending_for_case_filter(case_id: str) -> dict[str, Any]:
    return {"case_id": case_id, "status": "pending_customer"}


def step_filter(survey: Survey) -> dict[str, Any]:
    """The survey as its claimant read it: the claim matches only while nobody took this step."""
    return {"_id": survey.id, "status": survey.status, "attempt": survey.attempt}


def owed_filter(survey_id: str, event_id: str) -> dict[str, Any]:
    return {"_id": survey_id, "outbox._id": event_id}


def unsent_filter(before: datetime) -> dict[str, Any]:
    return {"outbox.send_at": {"$lt": before}}


def legacy_unsent_filter(before: datetime) -> dict[str, Any]:
    return {"sent": False, "send_at": {"$lt": before}}


def list_filter(**filters: Any) -> dict[str, Any]:
    return {FACETS: facet({k: v for k, v in filters.items() if k in LIST_FIELDS and v is not None})}


def survey_facets(survey: dict[str, Any]) -> list[str]:
    return facets_of({k: survey.get(k) for k in LIST_FIELDS})


RESULT_FIELDS = ("month", "project", "department")


def results_filter(**filters: Any) -> dict[str, Any]:
    return {FACETS: facet({k: v for k, v in filters.items() if k in RESULT_FIELDS and v is not None})}


def answer_facets(answer: dict[str, Any]) -> list[str]:
    return facets_of({k: answer.get(k) for k in RESULT_FIELDS})


def of_project(project: str) -> dict[str, Any]:
    return {"projects": project}


def running_filter() -> dict[str, Any]:
    return {"state": "running"}


def project_filter(project: str) -> dict[str, Any]:
    return {"project": project}


def owners_filter(campaign_id: str, start: int, end: int) -> dict[str, Any]:
    return {"campaign_id": campaign_id, "idx": {"$gte": start, "$lt": end}}


def links_expired_before(cutoff: datetime) -> dict[str, Any]:
    return {"expires_at": {"$lt": cutoff}}


def uses_before(cutoff: datetime) -> dict[str, Any]:
    return {"at": {"$lt": cutoff}}


class Outbox:
    """Claims that carry the event they owe: insert once, publish, mark sent; relay what a dead writer left.

    The claim is its own outbox entry (``kefu_kit.outbox`` encoding, plus ``send_at`` and ``sent``):
    one insert both takes the effect and records what it owes. Marked, not deleted: an answer's
    claim is also the answer (``AnswerStore``), and a claim must stay to refuse a second one.
    """

    def __init__(self, collection: AsyncCollection[dict[str, Any]], publish: Publish) -> None:
        self.collection = collection
        self._publish = publish

    @staticmethod
    def entry(claim_id: str, event: Event, send_at: datetime, **fields: Any) -> dict[str, Any]:
        return {"_id": claim_id, **outbox.encode(event), "send_at": send_at, "sent": False, **fields}

    async def claim(self, claim_id: str, event: Event, send_at: datetime, **fields: Any) -> bool:
        """True for the one writer that claimed it (it must then ``send``); False when claimed before."""
        return await insert_once(self.collection, self.entry(claim_id, event, send_at, **fields))

    async def send(self, claim_id: str, event: Event) -> None:
        await self._publish(event)
        await self._mark_sent(claim_id)

    async def _mark_sent(self, claim_id: str) -> None:
        await self.collection.update_one(by_id(claim_id), {"$set": {"sent": True}})

    async def relay(self, before: datetime) -> int:
        """Publish claimed events still unsent after their send time (their writer died)."""

        async def due() -> list[dict[str, Any]]:
            return await self.collection.find(legacy_unsent_filter(before)).to_list()

        async def events_of(claim: dict[str, Any]) -> list[Event]:
            return [outbox.decode(claim)]

        async def settle(claim: dict[str, Any]) -> None:
            await self._mark_sent(claim["_id"])

        return await outbox.relay(self.collection.name, due, events_of, settle, self._publish,
                                  since=lambda claim: claim["send_at"])


def listed(survey: Survey) -> dict[str, Any]:
    doc = survey.to_doc()
    return {**doc, FACETS: survey_facets(doc)}


def changes(read: Survey, step: Survey) -> dict[str, Any]:
    """What a step sets on the survey as it was read (with its list facets); a step removes no field."""
    before, after = read.to_doc(), step.to_doc()
    changed = {k: v for k, v in after.items() if k != FACETS and (k not in before or before[k] != v)}
    return {**changed, FACETS: survey_facets(after)}


class Owed(NamedTuple):
    """A ``survey.due`` a survey owes: the survey's id and its outbox entry."""

    survey_id: str
    entry: OwedDue


class SurveyStore:
    """Surveys, read as ``Survey`` and written from it; ``bounds`` keeps the earliest due time ever stored,
    where an oldest-first list starts reading."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.surveys = db.surveys
        self.bounds = db.bounds

    async def add(self, survey: Survey) -> bool:
        await self._bound([survey.due_at])
        return await insert_once(self.surveys, listed(survey))

    async def add_many(self, surveys: list[Survey]) -> None:
        await self._bound([s.due_at for s in surveys])
        await insert_new(self.surveys, [listed(s) for s in surveys])

    async def _bound(self, due: list[datetime]) -> None:
        """Before the insert: a list never starts after a stored survey (an earlier bound only costs a query)."""
        if due:
            await self.bounds.update_one(by_id(LIST_KEY), {"$min": {"at": min(due)}}, upsert=True)

    async def get(self, survey_id: str) -> Survey | None:
        doc = await self.surveys.find_one(by_id(survey_id))
        return None if doc is None else Survey.from_doc(doc)

    async def update(self, read: Survey, step: Survey) -> None:
        """Write a step already claimed elsewhere (an answer, by its answer's insert)."""
        await self.surveys.update_one(by_id(read.id), {"$set": changes(read, step)})

    async def claim(self, read: Survey, step: Survey) -> bool:
        """Take the survey's next step (with the outbox entry it owes, if any) as read; False when taken."""
        done = await self.surveys.update_one(step_filter(read), {"$set": changes(read, step)})
        return done.modified_count == 1

    async def sent(self, owed: list[tuple[str, str]]) -> int:
        """Drop the outbox entries (survey id, event id) that were published; how many were still there."""
        if not owed:
            return 0
        done = await self.surveys.bulk_write([UpdateOne(owed_filter(s, e), {"$unset": {"outbox": ""}})
                                              for s, e in owed], ordered=False)
        return done.modified_count

    async def unsent(self, before: datetime) -> list[Owed]:
        found = await self.surveys.find(unsent_filter(before), {"outbox": 1}).to_list()
        return [Owed(doc["_id"], OwedDue.from_doc(doc["outbox"])) for doc in found]

    async def due(self, now: datetime, limit: int = 500) -> list[Survey]:
        """Scheduled (or still waiting for their customer) and due."""
        found: list[dict[str, Any]] = []
        for status in DUE_STATUSES:
            found += await self.surveys.find(due_filter(status, now)).sort(LIST_KEY, ASCENDING).limit(limit).to_list()
        return [Survey.from_doc(doc) for doc in sorted(found, key=lambda s: s[LIST_KEY])[:limit]]

    async def expired(self, now: datetime, limit: int = 500) -> list[Survey]:
        cursor = self.surveys.find(expired_filter(now))
        return [Survey.from_doc(doc) for doc in await cursor.sort("expires_at", ASCENDING).limit(limit).to_list()]

    async def pending_for_case(self, case_id: str) -> list[Survey]:
        return [Survey.from_doc(doc) for doc in await self.surveys.find(pending_for_case_filter(case_id)).to_list()]

    async def page(self, filters: dict[str, Any], cursor: str | None,
                   limit: int) -> tuple[list[Survey], str | None]:
        """One page of surveys by due time (bookkeeping left out), filtered in the store; and the next page's cursor."""
        bound = await self.bounds.find_one(by_id(LIST_KEY))
        found, next_cursor = await keyset_page(self.surveys, list_filter(**filters), LIST_KEY, ASCENDING, cursor,
                                               limit, projection=HIDDEN, window=LIST_WINDOW if bound else None,
                                               anchor=bound["at"] if bound else None)
        return [Survey.from_doc(doc) for doc in found], next_cursor


class DueOutbox:
    """The ``survey.due`` events surveys owe (kept on the surveys): publish, then drop; relay what is left."""

    def __init__(self, surveys: SurveyStore, publish: Publish, counts: "CampaignCounts",
                 legacy: Outbox | None = None) -> None:
        self.surveys = surveys
        self._publish = publish
        self.counts = counts
        self.legacy = legacy

    @staticmethod
    def entry(event: Event, send_at: datetime, campaign_id: str | None) -> OwedDue:
        return OwedDue.from_doc({**Outbox.entry(event.event_id, event, send_at), "campaign_id": campaign_id})

    async def publish(self, event: Event) -> None:
        await self._publish(event)

    async def mark_sent(self, owed: list[Owed]) -> None:
        """Outbox entries published: drop them; a campaign counts what was dropped
        (an entry already dropped by another writer is not counted twice)."""
        by_campaign: dict[str | None, list[Owed]] = {}
        for one in owed:
            by_campaign.setdefault(one.entry.campaign_id, []).append(one)
        for campaign_id, entries in by_campaign.items():
            dropped = await self.surveys.sent([(o.survey_id, o.entry.id) for o in entries])
            if campaign_id and dropped:
                await self.counts.add(campaign_id, "published", dropped)

    async def send(self, owed: Owed, event: Event) -> None:
        await self._publish(event)
        await self.mark_sent([owed])

    async def relay(self, before: datetime) -> int:
        """Publish owed events still unsent after their send time (their writer died); then the legacy outbox's."""

        async def due() -> list[Owed]:
            return await self.surveys.unsent(before)

        async def events_of(owed: Owed) -> list[Event]:
            return [outbox.decode(owed.entry.to_doc())]

        async def settle(owed: Owed) -> None:
            await self.mark_sent([owed])

        relayed = await outbox.relay("surveys.outbox", due, events_of, settle, self._publish,
                                     since=lambda owed: owed.entry.send_at)
        return relayed + (await self.legacy.relay(before) if self.legacy else 0)


class CampaignCounts:
    """Surveys published and answered per campaign (counters: a count of every survey would grow with them)."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.counts = db.campaign_counts

    async def add(self, campaign_id: str, what: str, n: int = 1) -> None:
        await self.counts.update_one(by_id(campaign_id), {"$inc": {what: n}}, upsert=True)

    async def of(self, campaign_id: str) -> dict[str, int]:
        doc = await self.counts.find_one(by_id(campaign_id)) or {}
        return {"published": doc.get("published", 0), "answered": doc.get("answered", 0)}


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
        await self.customers.update_one(by_id(customer_id), update, upsert=True)

    async def contact(self, customer_id: str) -> dict[str, Any]:
        doc = await self.customers.find_one(by_id(customer_id)) or {}
        return {k: doc[k] for k in CONTACT_FIELDS if doc.get(k)}

    async def of_project(self, project: str) -> list[dict[str, Any]]:
        return await self.customers.find(of_project(project)).sort("_id", ASCENDING).to_list()


class CaseMap:
    """Case → customer, department, project, learned insert-first from case.status_changed."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.cases = db.cases

    async def learn(self, case_id: str, customer_id: str, department: str, project: str | None) -> bool:
        """True the first time the case is heard of."""
        return await insert_once(self.cases, {"_id": case_id, "customer_id": customer_id,
                                              "department": department, "project": project})

    async def get(self, case_id: str) -> dict[str, Any] | None:
        return await self.cases.find_one(by_id(case_id))


class LinkStore:
    """Owners' answer links: only the token's SHA-256 is stored; a use is an insert claim."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.links = db.links
        self.uses = db.link_uses

    async def add(self, token_sha256: str, survey_id: str, expires_at: datetime, at: datetime) -> None:
        await self.links.insert_one({"_id": token_sha256, "survey_id": survey_id, "expires_at": expires_at,
                                     "created_at": at})

    async def add_many(self, links: list[tuple[str, str, datetime]], at: datetime) -> None:
        """Links of many surveys (a campaign batch) in one write: (token SHA-256, survey id, expiry)."""
        if links:
            await self.links.insert_many([{"_id": digest, "survey_id": survey_id, "expires_at": expires_at,
                                           "created_at": at} for digest, survey_id, expires_at in links],
                                         ordered=False)

    async def prune(self, now: datetime, keep: timedelta) -> int:
        """Links expired ``keep`` ago and uses that old go: an owner opening one later gets "no such link".

        Kept that long so that, meanwhile, an owner who taps an old link is told it expired or was used.
        """
        cutoff = now - keep
        gone = await self.links.delete_many(links_expired_before(cutoff))
        await self.uses.delete_many(uses_before(cutoff))
        return gone.deleted_count

    async def get(self, token_sha256: str) -> AnswerLink | None:
        doc = await self.links.find_one(by_id(token_sha256))
        return None if doc is None else AnswerLink.from_doc(doc)

    async def used(self, token_sha256: str) -> bool:
        return await self.uses.find_one(by_id(token_sha256)) is not None

    async def use(self, token_sha256: str, at: datetime) -> bool:
        """True for the one request that used the link."""
        return await insert_once(self.uses, {"_id": token_sha256, "at": at})


class AnswerStore(Outbox):
    """One answer per survey (the claim) with its ``survey.answered`` event."""

    async def add(self, answer: SurveyAnswer, event: Event) -> bool:
        """Claim the survey's one answer with the event it owes; False when it was answered before."""
        doc = answer.to_doc()
        fields = {k: v for k, v in doc.items() if k != "_id"}
        return await self.claim(answer.id, event, answer.answered_at, **fields, facets=answer_facets(doc))

    async def of(self, filters: dict[str, Any]) -> list[dict[str, Any]]:
        """The answers of a month, project and/or department (``results_filter``), without their events."""
        return await self.collection.find(results_filter(**filters), {"event": 0, FACETS: 0}).to_list()

    async def answered(self, survey_id: str) -> bool:
        return await self.collection.find_one(by_id(survey_id), {"_id": 1}) is not None


class CampaignStore(AggregateStore):
    def __init__(self, db: AsyncDatabase[dict[str, Any]], publish: Publish) -> None:
        super().__init__(db, "campaigns", publish)
        self.owners = db.campaign_owners

    async def running(self) -> list[dict[str, Any]]:
        return await self.snapshots.find(running_filter()).to_list()

    async def of_project(self, project: str) -> list[dict[str, Any]]:
        return await self.snapshots.find(project_filter(project)).to_list()

    async def add_owners(self, owners: list[dict[str, Any]]) -> None:
        await insert_new(self.owners, owners)

    async def owners_between(self, campaign_id: str, start: int, end: int) -> list[dict[str, Any]]:
        cursor = self.owners.find(owners_filter(campaign_id, start, end))
        return await cursor.sort("idx", ASCENDING).to_list()
