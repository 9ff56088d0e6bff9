"""What would only grow stays bounded, on the real store: reports pruned, groups closed, fired timers gone."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from kefu_routing import upkeep
from kefu_routing.adapters.store import (
    CaseRepository,
    GroupRepository,
    RecentReports,
    TimerStore,
    VipStore,
    ensure_indexes,
)
from kefu_routing.context import Routing
from kefu_routing.domain.complaints import ComplaintRef

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)


@pytest.fixture
async def r(mongo, namespace) -> Routing:
    db = mongo[f"{namespace}_routing"]
    await ensure_indexes(db)
    published: list[Any] = []

    async def publish(event: Any) -> None:
        published.append(event)

    return Routing(cases=CaseRepository(db, publish), groups=GroupRepository(db, publish), timers=TimerStore(db),
                   vips=VipStore(db), reports=RecentReports(db))


def report(i: int, opened_at: datetime) -> ComplaintRef:
    return ComplaintRef(f"case-{i}", f"cust-{i % 3}", "P", "B", "leak", opened_at, kind="complaint")


async def test_reports_older_than_every_window_are_pruned(r):
    keep_for = max(r.repeat_window, r.group_policy.window)
    ages = [timedelta(hours=1), timedelta(days=29), keep_for - timedelta(minutes=1),
            keep_for + timedelta(minutes=1), timedelta(days=90), timedelta(days=400)]
    for i, age in enumerate(ages):
        await r.reports.add(report(i, NOW - age))
    assert await upkeep.prune_reports(r, NOW) == 3
    left = sorted(d["_id"] for d in await r.reports.reports.find({}).to_list())
    assert left == ["case-0", "case-1", "case-2"]
    # what is left still answers the repeat check; a second run has nothing to do
    assert len(await r.reports.of_customer("cust-0", ["complaint"], NOW - r.repeat_window)) == 1
    assert await upkeep.prune_reports(r, NOW) == 0


async def test_reports_are_kept_as_long_as_a_longer_batch_defect_window_needs_them(r):
    r.group_rule = replace(r.group_rule, batch_window=timedelta(days=60))
    for i, age in enumerate([timedelta(days=45), timedelta(days=61)]):
        await r.reports.add(report(i, NOW - age))
    assert await upkeep.prune_reports(r, NOW) == 1
    assert [d["_id"] for d in await r.reports.reports.find({}).to_list()] == ["case-0"]


def group(gid: str, key: str, last_member_at: datetime) -> dict[str, Any]:
    return {"_id": gid, "key": key, "project": "P", "building": "B", "category": "leak", "lead_case_id": "c1",
            "members": ["c1", "c2", "c3"], "customers": ["a", "b", "c"], "active": True, "level": 3,
            "created_at": last_member_at, "last_member_at": last_member_at}


async def test_groups_close_when_their_window_ends(r):
    window = r.group_policy.window
    await r.groups.create(group("g-old", "P|B|leak", NOW - window - timedelta(minutes=1)), [])
    await r.groups.create(group("g-new", "P|B2|leak", NOW - window + timedelta(minutes=1)), [])
    assert (await r.groups.active_for("P|B|leak"))["_id"] == "g-old"

    assert await upkeep.close_ended_groups(r, NOW) == 1
    assert await r.groups.active_for("P|B|leak") is None
    assert (await r.groups.active_for("P|B2|leak"))["_id"] == "g-new"
    closed = await r.groups.get("g-old")
    assert closed["active"] is False and closed["closed_at"] == NOW and closed["rev"] == 2
    assert [h["state"]["active"] for h in await r.groups.history("g-old")] == [True, False]  # an audited change
    assert await upkeep.close_ended_groups(r, NOW) == 0

    later = NOW + timedelta(minutes=2)
    assert await upkeep.close_ended_groups(r, later) == 1
    assert await r.groups.active_for("P|B2|leak") is None


async def test_a_fired_timer_is_deleted_and_a_pending_one_stays(r):
    respond_by, resolve_by = NOW - timedelta(minutes=5), NOW + timedelta(hours=4)
    case = {"_id": "case-t", "status": "assigned", "kind": "repair", "level": 0, "department": "engineering",
            "customer_id": "cust-t", "body": "漏水", "assignment_rule": "r", "correlation_id": "call-t",
            "opened_event_id": "co-t",
            "deadlines": {"respond_by": respond_by, "resolve_by": resolve_by, "rule": "r"},
            "responded_at": None, "overdue": [], "is_overdue": False, "timeline": [], "applied": [],
            "opened_at": NOW - timedelta(hours=1)}
    await r.cases.create(case, [])
    await r.timers.schedule("case-t", "respond", respond_by)
    await r.timers.schedule("case-t", "resolve", resolve_by)
    await r.timers.schedule("case-gone", "resolve", NOW - timedelta(minutes=1))  # its case never stored

    assert await upkeep.fire_due_timers(r, NOW) == 2
    assert [t["_id"] for t in await r.timers.timers.find({}).to_list()] == [f"case-t|resolve|{resolve_by.isoformat()}"]
    assert await r.timers.due(NOW) == []
    fired = await r.cases.get("case-t")
    assert fired["overdue"] == ["respond"] and fired["is_overdue"] is True
    assert await upkeep.fire_due_timers(r, NOW) == 0
