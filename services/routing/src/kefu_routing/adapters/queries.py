"""Every filter routing sends to its store, and the index that serves each one.

The filters are built here, by small functions, and both the repositories and
``tests/integration/test_query_plans_routing.py`` call them: the test asks the
real store for the plan of the very filter the code sends, so the two cannot
drift apart.

Shapes SecantusDB serves from an index (measured in its planner, 0.7.0b3):
bare equalities on an index's leading fields, optionally followed by ONE
range or ``$in`` on the next field (``{a: 1, b: {$gte: x, $lt: y}}`` on
``(a, b)``), and ``_id`` point lookups. A second operator field, a top-level
``$or``/``$and`` or ``find_one_and_update`` fall back to one clause or to a
scan, and sort + limit collects every match before sorting: so each filter
below names one index exactly, and lists read bounded windows of it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel

from ..domain.lifecycle import OPEN_STATUSES

# Case lists: the equality filters a page can be read with, each one index ending in ``opened_at``
# (the page order). A request with filters outside these shapes reads the largest shape its
# filters contain and applies the remaining equalities to the window it read (see case_pages).
CASE_LIST_SHAPES: tuple[tuple[str, ...], ...] = (
    ("department", "status"),
    ("department", "level"),
    ("department", "kind"),
    ("department", "is_overdue"),
    ("department",),
    ("status",),
    ("level",),
    ("kind",),
    ("is_overdue",),
    ("awaiting_approval",),  # the approvers' inbox: cases with a plan or cost waiting (set by commands)
    ("project", "building"),
    ("project",),
    (),
)


def case_list_index(shape: tuple[str, ...]) -> IndexModel:
    return IndexModel([*((f, ASCENDING) for f in shape), ("opened_at", DESCENDING)])


def index_name(model: IndexModel) -> str:
    """The server's default name (explicit names would clash with the same keys made before under those)."""
    return str(model.document["name"])


INDEXES: dict[str, list[IndexModel]] = {
    "cases": [case_list_index(shape) for shape in CASE_LIST_SHAPES],
    "groups": [IndexModel([("key", ASCENDING), ("active", ASCENDING)]),
               IndexModel([("active", ASCENDING), ("last_member_at", ASCENDING)])],
    "timers": [IndexModel([("due_at", ASCENDING)])],
    # ``{_id, at: {$lte}}`` (keep the newer tier) is an _id and a range: alone, ``_id`` does not serve it.
    "vip_customers": [IndexModel([("_id", ASCENDING), ("at", ASCENDING)])],
    "recent_reports": [
        IndexModel([("customer_id", ASCENDING), ("kind", ASCENDING), ("opened_at", ASCENDING)]),
        IndexModel([("project", ASCENDING), ("building", ASCENDING), ("category", ASCENDING), ("kind", ASCENDING),
                    ("opened_at", ASCENDING)]),
        IndexModel([("opened_at", ASCENDING)]),
    ],
    # batch-defect signals: the earlier ones of a building and category near a new burst
    "defect_signals": [IndexModel([("key", ASCENDING), ("first_reported_at", ASCENDING)])],
    # events that arrived before their case: found by the case when it appears, expired by age
    "parked": [IndexModel([("aggregate_id", ASCENDING)]), IndexModel([("parked_at", ASCENDING)])],
}


# --- cases (snapshots) ---------------------------------------------------------------------------

def case_window(eq: dict[str, Any], lower: datetime | None, upper: datetime | None,
                upper_inclusive: bool) -> dict[str, Any]:
    """One window of a case list: the shape's equalities and a range of ``opened_at``."""
    bounds: dict[str, Any] = {}
    if lower is not None:
        bounds["$gte"] = lower
    if upper is not None:
        bounds["$lte" if upper_inclusive else "$lt"] = upper
    return {**eq, "opened_at": bounds} if bounds else dict(eq)


def open_cases_of(department: str) -> dict[str, Any]:
    """A department's open cases (its backlog: bounded by the work in hand, not by history)."""
    return {"department": department, "status": {"$in": sorted(OPEN_STATUSES)}}


# --- groups (snapshots) --------------------------------------------------------------------------

def active_group(key: str) -> dict[str, Any]:
    return {"key": key, "active": True}


def groups_ended(before: datetime) -> dict[str, Any]:
    """Active groups whose latest member is older than the window: nobody can join them any more."""
    return {"active": True, "last_member_at": {"$lt": before}}


# --- batch-defect signals (snapshots) ------------------------------------------------------------

def signals_near(key: str, since: datetime, until: datetime) -> dict[str, Any]:
    """A building and category's signals that start between ``since`` and ``until`` (one range on the index)."""
    return {"key": key, "first_reported_at": {"$gte": since, "$lte": until}}


# --- timers --------------------------------------------------------------------------------------

def timers_due(now: datetime) -> dict[str, Any]:
    """Timers whose deadline passed. Fired ones are deleted, so these are only the ones still to fire."""
    return {"due_at": {"$lte": now}}


def timer(timer_id: str) -> dict[str, Any]:
    return {"_id": timer_id}


# --- recent reports ------------------------------------------------------------------------------

def reports_of_customer(customer_id: str, kind: str, since: datetime) -> dict[str, Any]:
    """One kind at a time: ``kind: {$in: ...}`` and the ``opened_at`` range would be two operator fields."""
    return {"customer_id": customer_id, "kind": kind, "opened_at": {"$gte": since}}


def reports_of_customers(customer_ids: list[str]) -> dict[str, Any]:
    """The recent reports of a batch's callers, in one read (the collection holds only recent ones):
    ``$in`` on the leading field of the customer index; kind and window are applied per case in code."""
    return {"customer_id": {"$in": customer_ids}}


def reports_in_building(project: str, building: str, category: str, kind: str, since: datetime) -> dict[str, Any]:
    return {"project": project, "building": building, "category": category, "kind": kind,
            "opened_at": {"$gte": since}}


def reports_older_than(cutoff: datetime) -> dict[str, Any]:
    return {"opened_at": {"$lt": cutoff}}


# --- VIP owners ----------------------------------------------------------------------------------

def vip(customer_id: str) -> dict[str, Any]:
    return {"_id": customer_id}


def vip_not_newer_than(customer_id: str, at: datetime) -> dict[str, Any]:
    """The stored tier, if it is not newer than ``at`` (the ``_id`` finds it; ``at`` is checked on that one)."""
    return {"_id": customer_id, "at": {"$lte": at}}


# --- routing's own bookkeeping -------------------------------------------------------------------

def meta(name: str) -> dict[str, Any]:
    return {"_id": name}


# --- parked events (arrived before their case) ---------------------------------------------------

def parked_for(case_ids: list[str]) -> dict[str, Any]:
    """The events parked for any of ``case_ids`` (a batch of new cases asks once): ``$in`` on the index's field."""
    return {"aggregate_id": {"$in": case_ids}}


def parked_before(cutoff: datetime) -> dict[str, Any]:
    """Parked events older than ``cutoff``: their case did not appear in time (index on ``parked_at``)."""
    return {"parked_at": {"$lt": cutoff}}


def parked(event_id: str) -> dict[str, Any]:
    return {"_id": event_id}
