"""Intake hearing of case moves (``case.status_changed``) in batches, on the real store.

A batch ends where its events applied one at a time end; a redelivered batch writes
nothing; a problem another case holds is left alone; a case another instance noted
first takes the batch's department (and only when it differs).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from kefu_contracts import CallReceived, CaseOpened, CaseStatusChanged
from kefu_intake.adapters.departments import CaseDepartments
from kefu_intake.adapters.store import ContactLog, CustomerArchive, ProblemIndex, PropertyRegister, ensure_indexes
from kefu_intake.contacts import CallIntake
from kefu_intake.domain.moves import ProblemWrites
from kefu_intake.domain.records import OpenProblem
from kefu_intake.moves import CaseMoves
from kefu_kit import Batch
from kefu_kit.batches import Item
from pymongo import AsyncMongoClient, monitoring

pytestmark = pytest.mark.integration
T = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)


class Commands(monitoring.CommandListener):
    """The commands a client sent (finds and writes), by collection."""

    def __init__(self) -> None:
        self.all: list[tuple[str, str]] = []

    @property
    def sent(self) -> list[tuple[str, str]]:
        """The writes among them."""
        return [c for c in self.all if c[0] != "find"]

    def clear(self) -> None:
        self.all.clear()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name in ("find", "insert", "update", "delete"):
            self.all.append((event.command_name, event.command[event.command_name]))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def batch(events: list[Any]) -> Batch[Any]:
    return Batch([Item(None, e) for e in events])  # type: ignore[arg-type]


async def open_cases(db, n: int) -> list[CaseOpened]:
    """``n`` calls about leaks in ``n`` units, through intake: contacts, customers and their open problems."""
    await ensure_indexes(db)
    intake = CallIntake(CustomerArchive(db), ContactLog(db), ProblemIndex(db), PropertyRegister(db), timedelta(days=30))
    calls = batch([CallReceived.model_validate({
        "event_id": f"call-{i}", "occurred_at": (T + timedelta(minutes=i)).isoformat(), "channel": "hotline",
        "caller": {"name": f"业主{i}", "phone": f"1390000{i:04d}"},
        "property": {"project": "滨江花园", "building": "3幢", "unit": f"{i + 1:02d}01"},
        "body": "卫生间天花板漏水，麻烦派人来看看"}) for i in range(n)])
    await intake.handle(calls)
    opened = [e for e in calls.events if isinstance(e, CaseOpened)]
    assert len(opened) == n
    return opened


PREVIOUS = {"assigned": "opened", "in_progress": "assigned", "resolved": "in_progress", "closed": "resolved",
            "reopened": "closed"}


def moved(case: CaseOpened, status: str, department: str, minutes: int) -> CaseStatusChanged:
    """What routing publishes (``assigned`` moves on from ``opened``: the case's first move)."""
    return CaseStatusChanged(
        event_id=f"st-{case.case_id}-{status}-{minutes}", occurred_at=T + timedelta(hours=1, minutes=minutes),
        correlation_id=case.contact_id, causation_id=case.event_id, case_id=case.case_id,
        customer_id=case.customer_id, status=status, previous_status=PREVIOUS[status], actor="routing",
        kind=case.kind, department=department)


def lifecycle(cases: list[CaseOpened]) -> list[CaseStatusChanged]:
    """Assigned, moved to another department and resolved; closed and reopened; assigned only; resolved only."""
    a, b, c, d = cases
    return [moved(a, "assigned", "engineering", 1), moved(b, "assigned", "property", 1),
            moved(c, "assigned", "engineering", 1), moved(a, "in_progress", "property", 2),
            moved(b, "closed", "property", 3), moved(a, "resolved", "property", 4), moved(d, "resolved", "property", 4),
            moved(b, "reopened", "property", 5)]


def handler(db) -> CaseMoves:
    return CaseMoves(CaseDepartments(db), ContactLog(db), ProblemIndex(db))


async def state(db) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    departments = await db.case_departments.find({}, {"at": 0}).sort("_id").to_list()
    problems = await db.open_problems.find({}, {"rev": 0}).sort("_id").to_list()
    return departments, problems


async def test_a_batch_of_moves_ends_where_its_moves_one_at_a_time_end(mongo, namespace):
    whole, one_by_one = mongo[f"{namespace}_a_kefu_intake"], mongo[f"{namespace}_b_kefu_intake"]
    cases = await open_cases(whole, 4)
    assert await open_cases(one_by_one, 4) == cases
    events = lifecycle(cases)
    await handler(whole).handle(batch(events))
    for event in events:
        await handler(one_by_one).handle(batch([event]))

    departments, problems = await state(whole)
    assert (departments, problems) == await state(one_by_one)
    a, b, c, d = cases
    assert [(x["_id"], x["department"]) for x in departments] == sorted(
        [(a.case_id, "property"), (b.case_id, "property"), (c.case_id, "engineering"), (d.case_id, "property")])
    by_case = {p["case_id"]: p for p in problems}
    assert by_case[a.case_id]["open"] is False and by_case[a.case_id]["closed_at"] == T + timedelta(hours=1, minutes=4)
    assert by_case[b.case_id]["open"] is True and by_case[b.case_id]["closed_at"] is None
    assert by_case[c.case_id]["open"] is True and by_case[d.case_id]["open"] is False


async def test_a_redelivered_batch_writes_nothing_and_a_first_one_only_inserts(infra, mongo, namespace):
    listener = Commands()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongo_url, tz_aware=True,
                                                                event_listeners=[listener])
    try:
        db = client[f"{namespace}_kefu_intake"]
        cases = await open_cases(db, 4)
        assigned = [moved(case, "assigned", "engineering", 1) for case in cases]
        listener.clear()
        await handler(db).handle(batch(assigned))
        assert listener.all == [("insert", "case_departments")], "open cases assigned: one insert, nothing read"
        before = await db.open_problems.find().sort("_id").to_list()
        noted = await db.case_departments.find().sort("_id").to_list()
        listener.clear()
        await handler(db).handle(batch(assigned))
        assert listener.sent == [("insert", "case_departments")], "the just-assigned cases are inserted unread..."
        assert await db.case_departments.find().sort("_id").to_list() == noted, "... and found noted: no change"
        events = lifecycle(cases)
        listener.clear()
        await handler(db).handle(batch(events))  # assigned again (a redelivery) and moved on
        assert sorted(listener.sent) == [("insert", "case_departments"), ("update", "case_departments"),
                                         ("update", "open_problems")]
        after = {p["_id"]: p for p in await db.open_problems.find().to_list()}
        changed = [p["_id"] for p in before if after[p["_id"]]["rev"] != p["rev"]]
        assert len(changed) == 2, "only the problems whose case ends resolved (a, d); b closed and reopened is open"
        listener.clear()
        await handler(db).handle(batch(events[3:]))  # a redelivery of the moves after the assignments
        assert listener.sent == []
    finally:
        await client.close()


async def test_a_problem_another_case_holds_is_left_alone(mongo, namespace):
    db = mongo[f"{namespace}_kefu_intake"]
    cases = await open_cases(db, 4)
    a = cases[0]
    (problem,) = await db.open_problems.find({"case_id": a.case_id}).to_list()
    await db.open_problems.update_one({"_id": problem["_id"]}, {"$set": {"case_id": "case-newer", "open": True}})
    await handler(db).handle(batch([moved(a, "resolved", "engineering", 1), moved(a, "reopened", "engineering", 2)]))
    assert (await db.open_problems.find_one({"_id": problem["_id"]}))["case_id"] == "case-newer"

    # a problem pruned and then taken by another case between the read and the write: no error, left alone
    pruned = OpenProblem(id=problem["_id"], case_id=a.case_id, opened_at=T, last_contact_at=T, rev=1)
    await ProblemIndex(db).apply_moves(ProblemWrites(new=[pruned]))
    assert (await db.open_problems.find_one({"_id": problem["_id"]}))["case_id"] == "case-newer"


async def test_a_reopened_case_whose_problem_was_pruned_is_put_back(mongo, namespace):
    db = mongo[f"{namespace}_kefu_intake"]
    cases = await open_cases(db, 4)
    a = cases[0]
    await handler(db).handle(batch([moved(a, "resolved", "engineering", 1)]))
    (problem,) = await db.open_problems.find({"case_id": a.case_id}).to_list()
    await db.open_problems.delete_one({"_id": problem["_id"]})  # the pruner: closed a while ago
    await handler(db).handle(batch([moved(a, "reopened", "engineering", 90)]))
    back = await db.open_problems.find_one({"_id": problem["_id"]})
    at = T + timedelta(hours=1, minutes=90)
    assert back == {"_id": problem["_id"], "case_id": a.case_id, "open": True, "opened_at": at,
                    "last_contact_at": at, "closed_at": None, "recent": [], "rev": 1}


async def test_a_just_assigned_case_noted_already_is_overwritten_only_when_it_differs(infra, namespace):
    listener = Commands()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongo_url, tz_aware=True,
                                                                event_listeners=[listener])
    try:
        db = client[f"{namespace}_kefu_intake"]
        a, b, *_ = await open_cases(db, 4)
        # another instance noted both (a rebalance in between): a in engineering, b in property
        await db.case_departments.insert_many([
            {"_id": a.case_id, "customer_id": a.customer_id, "department": "engineering", "at": T},
            {"_id": b.case_id, "customer_id": b.customer_id, "department": "property", "at": T}])
        listener.clear()
        await handler(db).handle(batch([moved(a, "assigned", "property", 1), moved(b, "assigned", "property", 1)]))
        assert listener.sent == [("insert", "case_departments"), ("update", "case_departments")]
        departments = CaseDepartments(db)
        assert await departments.cases_of(a.customer_id, "property") == [a.case_id]
        assert await departments.cases_of(a.customer_id, "engineering") == []
        assert (await db.case_departments.find_one({"_id": b.case_id}))["at"] == T, "b was there already: untouched"
    finally:
        await client.close()
