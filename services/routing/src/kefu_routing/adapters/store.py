"""Routing's store, in routing's own database.

* ``cases`` (+ ``cases_revisions``, ``cases_outbox``): each case an aggregate changed
  through ``AggregateStore`` (safe with several routing instances and API requests at once).
* ``groups`` (+ revisions, outbox): group complaints (群诉), also aggregates.
* ``defect_signals`` (+ revisions, outbox): batch-defect signals for engineering, also aggregates.
* ``timers``: deadlines to check, one document per (case, deadline); any instance may
  fire one, the case's revision claim makes the effect happen once.
* ``vip_customers``: who is a VIP owner, learned from membership's events.
* ``recent_reports``: the last weeks' cases, for repeat and group checks (pruned).
* ``routing_meta``: routing's own marks (the oldest case, one-off backfills done).
* ``parked``: events that came before their case, until it appears (``adapters.parked``).

Every filter comes from ``queries`` and is served by an index made at startup.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from kefu_contracts import Event
from kefu_kit import find_in, insert_new, insert_once
from kefu_kit.mongo import chunks
from kefu_kit.aggregates import AggregateStore, Change, Publish
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from ..domain.case import Case
from ..domain.complaints import ComplaintRef
from . import queries as q
from .case_pages import Position, read_page

OLDEST_CASE = "cases.oldest_opened_at"
OVERDUE_BACKFILLED = "cases.is_overdue_backfilled"


async def ensure_indexes(db: AsyncDatabase[dict[str, Any]]) -> None:
    """The index of every query routing sends (``queries.INDEXES``); the aggregate store makes its own.

    (The old ``state._id`` index on the revisions served ``history`` before revisions held diffs;
    ``history`` reads revision ids now, and a diff has no ``state`` to index.)
    """
    for collection, indexes in q.INDEXES.items():
        await db[collection].create_indexes(indexes)


# A change of one case: the changed case and its events, or None for "nothing to do" (the case left as it was).
CaseChange = Callable[[Case], "Change[Case] | None"]


class _OnDoc:
    """A change of a ``Case`` as the aggregate store's change of a document, keeping the ``Case`` it made.

    The stored document becomes a ``Case`` (validated once), the change decides on it, and
    the result goes back as a document (dumped once) with its new revision. The ``Case``
    made is what the store then holds, so the caller gets it back without reading or
    validating it again.

    ``copies_input``: the store need not deep-copy the document first. Validating builds
    the case's own lists and parts, sharing only immutable values with the document (and
    the values of keys no model declares, which no change touches), and dumping builds a
    new document; the one the store read stays as it was, for the revision's diff.
    """

    copies_input = True

    def __init__(self, fn: CaseChange) -> None:
        self.fn = fn
        self.made: Case | None = None

    def __call__(self, doc: dict[str, Any]) -> Change[dict[str, Any]] | None:
        case = Case.from_doc(doc)
        change = self.fn(case)
        if change is None:
            self.made = case  # as it was read: the store returns that revision
            return None
        case = change.state
        case.rev = doc["rev"] + 1  # the revision it is stored as (the store sets the same)
        self.made = case
        return Change(case.to_doc(), change.events)

    def result(self, doc: dict[str, Any]) -> Case:
        """The case the store returned: the one in hand if it is that revision, else the document's."""
        made = self.made
        return made if made is not None and made.rev == doc["rev"] else Case.from_doc(doc)


class CaseRepository(AggregateStore):
    """Cases, plus ``routing_meta``: the oldest case's ``opened_at`` (where a list's windows stop).

    The aggregate store's methods (``get``, ``create``, ``mutate``...) keep its documents;
    routing's use cases call the ``*_case(s)`` methods, which take and give ``Case``
    models and convert at this edge: a document becomes a ``Case`` once per read, a
    ``Case`` a document once per write.
    """

    def __init__(self, db: AsyncDatabase[dict[str, Any]], publish: Publish) -> None:
        super().__init__(db, "cases", publish)
        self.meta = db.routing_meta

    async def create(self, state: dict[str, Any], events: list[Any], *, marked: bool = False,
                     ) -> tuple[dict[str, Any], bool]:
        """As the aggregate store's, after lowering the oldest ``opened_at`` (first: a crash in between
        leaves the mark only too early, which costs a list one empty window, never a lost case).

        ``marked``: the caller lowered it already (a batch does so once, with its oldest case, before
        creating any of them).
        """
        if not marked:
            await self.mark_opened(state["opened_at"])
        return await super().create(state, events)

    async def get_case(self, case_id: str) -> Case | None:
        doc = await self.get(case_id)
        return None if doc is None else Case.from_doc(doc)

    async def get_cases(self, case_ids: list[str]) -> dict[str, Case]:
        """``snapshots_of`` as cases."""
        return {case_id: Case.from_doc(doc) for case_id, doc in (await self.snapshots_of(case_ids)).items()}

    async def create_case(self, case: Case, events: list[Event], *, marked: bool = False) -> tuple[Case, bool]:
        """``create`` for a new ``Case``: it (at revision 1) and True, or the stored one and False."""
        doc, created = await self.create(case.to_doc(), events, marked=marked)
        return _created(case, doc, created), created

    async def create_cases(self, new: list[tuple[Case, list[Event]]]) -> list[tuple[Case, bool]]:
        """``create_many`` for new cases (the caller lowered the oldest-case mark first)."""
        stored = await self.create_many([(case.to_doc(), events) for case, events in new])
        return [(_created(case, doc, created), created) for (case, _), (doc, created) in zip(new, stored)]

    async def mutate_case(self, case_id: str, fn: CaseChange) -> Case:
        """``mutate`` with a change of a ``Case``; the case after it."""
        change = _OnDoc(fn)
        return change.result(await self.mutate(case_id, change))

    async def mutate_cases(self, changes: list[tuple[str, CaseChange]]) -> list[Case]:
        """``mutate_many`` with changes of ``Case`` models; the cases after them, in order."""
        typed = [(case_id, _OnDoc(fn)) for case_id, fn in changes]
        docs = await self.mutate_many(list(typed))
        return [change.result(doc) for (_, change), doc in zip(typed, docs)]

    async def mark_opened(self, opened_at: datetime) -> None:
        """Lower the oldest-case mark to ``opened_at`` (a case opened then is about to be created)."""
        await self.meta.update_one(q.meta(OLDEST_CASE), {"$min": {"at": opened_at}}, upsert=True)

    async def snapshots_of(self, case_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The stored snapshots of ``case_ids`` (one read for a batch); a missing id has none yet.

        A case whose creator died between its revision claim and its snapshot is missing here
        too: treated as new, its ``create`` finds revision 1 and returns the stored case.
        """
        if not case_ids:
            return {}
        return {doc["_id"]: doc for doc in await find_in(self.snapshots, "_id", sorted(set(case_ids)))}

    async def oldest_opened_at(self) -> datetime | None:
        doc = await self.meta.find_one(q.meta(OLDEST_CASE))
        return doc["at"] if doc else None

    async def page(self, filters: dict[str, Any], limit: int, skip: int = 0, after: Position | None = None,
                   *, now: datetime) -> tuple[list[dict[str, Any]], Position | None]:
        """Cases newest first, filtered in the store (equalities only; see ``case_pages``)."""
        return await read_page(self.snapshots, filters, limit=limit, skip=skip, after=after,
                               oldest=await self.oldest_opened_at(), now=now)

    async def open_counts(self, department: str) -> dict[str, int]:
        """Open cases per assignee in a department: an index range over its backlog (not its history)."""
        pipeline = [{"$match": q.open_cases_of(department)}, {"$group": {"_id": "$assignee", "n": {"$sum": 1}}}]
        rows = await (await self.snapshots.aggregate(pipeline)).to_list()
        return {r["_id"]: r["n"] for r in rows if r["_id"]}

    async def backfill(self) -> None:
        """One-off, at startup, for cases stored before lists were windowed: the oldest-case mark, and
        ``is_overdue`` (the indexed form of ``overdue``). Each scans once, then a mark says it is done."""
        if await self.meta.find_one(q.meta(OLDEST_CASE)) is None:
            first = await self.snapshots.find({}, {"opened_at": 1}).sort("opened_at", ASCENDING).limit(1).to_list()
            if first:
                await self.meta.update_one(q.meta(OLDEST_CASE), {"$min": {"at": first[0]["opened_at"]}}, upsert=True)
        if await self.meta.find_one(q.meta(OVERDUE_BACKFILLED)) is None:
            for doc in await self.snapshots.find({"is_overdue": {"$exists": False}}, {"_id": 1}).to_list():
                await self.mutate(doc["_id"], _with_is_overdue)
            await insert_once(self.meta, {"_id": OVERDUE_BACKFILLED})


def _created(case: Case, doc: dict[str, Any], created: bool) -> Case:
    """The case as stored: the one given, now at revision 1, or (it existed) the stored one."""
    if not created:
        return Case.from_doc(doc)
    case.rev = doc["rev"]
    return case


def _with_is_overdue(case: dict[str, Any]) -> Change | None:
    if "is_overdue" in case:
        return None
    case["is_overdue"] = bool(case.get("overdue"))
    return Change(case)


class RecentReports:
    """A small index of recent cases (who, where, what, when) for repeat and group-complaint checks.

    Those checks look back 30 days and 72 hours; reading every case for them would
    grow with history. This collection holds only the recent ones: ``prune`` (a
    periodic loop) deletes those older than the longest window, by an indexed range.
    """

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.reports = db.recent_reports

    async def add(self, report: ComplaintRef) -> None:
        await insert_once(self.reports, _report(report))

    async def add_many(self, reports: list[ComplaintRef]) -> None:
        """``add`` for a batch: one unordered bulk insert; those recorded already are left as they are."""
        await insert_new(self.reports, [_report(report) for report in reports])

    async def of_customer(self, customer_id: str, kinds: list[str], since: datetime) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for kind in dict.fromkeys(kinds):
            found += await self.reports.find(q.reports_of_customer(customer_id, kind, since)).to_list()
        return found

    async def of_customers(self, customer_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        """Every recent report of each of ``customer_ids`` (a batch's callers), in queries of ``IN_CHUNK``."""
        found: dict[str, list[dict[str, Any]]] = {}
        for part in chunks(sorted(set(customer_ids))):
            for doc in await self.reports.find(q.reports_of_customers(list(part))).to_list():
                found.setdefault(doc["customer_id"], []).append(doc)
        return found

    async def in_building(
        self, project: str, building: str, category: str, kinds: list[str], since: datetime
    ) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for kind in dict.fromkeys(kinds):
            found += await self.reports.find(q.reports_in_building(project, building, category, kind, since)).to_list()
        return found

    async def prune(self, older_than: datetime) -> int:
        return (await self.reports.delete_many(q.reports_older_than(older_than))).deleted_count


def _report(ref: ComplaintRef) -> dict[str, Any]:
    """A case's recent report (``refs.case_ref``); read back by ``refs.report_ref``."""
    return {"_id": ref.case_id, "customer_id": ref.customer_id, "kind": ref.kind, "project": ref.project,
            "building": ref.building, "category": ref.category, "element": ref.element,
            "urgent_flags": list(ref.flags), "opened_at": ref.opened_at}


class GroupRepository(AggregateStore):
    def __init__(self, db: AsyncDatabase[dict[str, Any]], publish: Publish) -> None:
        super().__init__(db, "groups", publish)

    async def active_for(self, key: str) -> dict[str, Any] | None:
        groups = await self.snapshots.find(q.active_group(key)).to_list()
        return max(groups, key=lambda g: g["last_member_at"]) if groups else None

    async def close_ended(self, before: datetime, now: datetime, batch: int = 500) -> int:
        """Close active groups whose latest member is older than ``before`` (the window): none can grow.

        Keeps the active ones few, so ``active_for`` and this query stay small however
        many groups there ever were. Closing publishes nothing (the contract has no
        closed state); the snapshot keeps ``active: False`` and ``closed_at``.
        """
        ended = await self.snapshots.find(q.groups_ended(before), {"_id": 1}).limit(batch).to_list()
        for doc in ended:
            await self.mutate(doc["_id"], _close_group(before, now))
        return len(ended)


def _close_group(before: datetime, now: datetime):
    def change(group: dict[str, Any]) -> Change | None:
        if not group.get("active") or group["last_member_at"] >= before:
            return None  # closed already, or a member joined since the query
        group["active"], group["closed_at"] = False, now
        return Change(group)
    return change


class DefectSignals(AggregateStore):
    """Batch-defect signals (``defect.batch_suspected``): created once each, published through the outbox."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]], publish: Publish) -> None:
        super().__init__(db, "defect_signals", publish)

    async def starts_between(self, key: str, since: datetime, until: datetime) -> list[datetime]:
        """When the signals of ``key`` (project|building|category) starting in [since, until] start."""
        found = await self.snapshots.find(q.signals_near(key, since, until), {"first_reported_at": 1}).to_list()
        return [doc["first_reported_at"] for doc in found]


class TimerStore:
    """Deadlines still to check. A timer is deleted once it fired, so the due query reads only pending ones."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.timers = db.timers

    async def schedule(self, case_id: str, which: str, due_at: datetime) -> None:
        await insert_once(self.timers, _timer(case_id, which, due_at))

    async def schedule_many(self, timers: list[tuple[str, str, datetime]]) -> None:
        """``schedule`` for a batch of (case_id, which, due_at): one unordered bulk insert, repeats ignored."""
        await insert_new(self.timers, list({t["_id"]: t for t in (_timer(*t) for t in timers)}.values()))

    async def due(self, now: datetime, limit: int = 500) -> list[dict[str, Any]]:
        return await self.timers.find(q.timers_due(now)).sort("due_at", ASCENDING).limit(limit).to_list()

    async def done(self, timer_id: str) -> None:
        await self.timers.delete_one(q.timer(timer_id))


def _timer(case_id: str, which: str, due_at: datetime) -> dict[str, Any]:
    return {"_id": f"{case_id}|{which}|{due_at.isoformat()}", "case_id": case_id, "which": which, "due_at": due_at}


class VipStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.vips = db.vip_customers

    async def record(self, customer_id: str, vip: bool, tier: str, event_id: str, at: datetime) -> None:
        """Keep the latest tier per customer (events of one customer arrive in order: keyed by customer)."""
        doc = {"_id": customer_id, "vip": vip, "tier": tier, "event_id": event_id, "at": at}
        if not await insert_once(self.vips, doc):
            await self.vips.replace_one(q.vip_not_newer_than(customer_id, at), doc)

    async def vips_among(self, customer_ids: list[str]) -> frozenset[str]:
        """Which of ``customer_ids`` are VIP owners (a batch's callers, in one read)."""
        return frozenset(doc["_id"] for doc in await find_in(self.vips, "_id", customer_ids) if doc["vip"])

    async def is_vip(self, customer_id: str) -> bool:
        doc = await self.vips.find_one(q.vip(customer_id))
        return bool(doc and doc["vip"])
