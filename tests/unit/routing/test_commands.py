"""Commands as pure changes to a ``Case`` (no store, no broker)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from kefu_routing import commands
from kefu_kit.auth import Principal
from kefu_routing.context import Routing, Workload
from kefu_routing.domain.case import Case

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)  # Monday 09:00 in Shanghai
ENG = Principal("eng-01", "department_staff", "engineering")
MGR = Principal("mgr", "cs_manager", None)
GM = Principal("gm", "cs_general_manager", None)
SPECIALIST = Principal("spec", "complaint_specialist", None)


@pytest.fixture
def r() -> Routing:
    return Routing(cases=None, groups=None, timers=None, vips=None, reports=None)  # type: ignore[arg-type]


def case(**over) -> Case:
    base = {
        "_id": "case-1", "rev": 3, "status": "assigned", "kind": "repair", "category": "leak", "urgent_flags": [],
        "customer_id": "cust-1", "department": "engineering", "assignment_rule": "repair.leak.warranty",
        "assignee": "eng-01", "project": "滨江花园",
        "building": "3幢", "unit": "1202", "subject": None, "body": "漏水", "level": 0, "escalations": [],
        "deadlines": {"respond_by": T0 + timedelta(hours=2), "resolve_by": T0 + timedelta(days=3), "rule": "repair"},
        "pauses": [], "overdue": [], "opened_at": T0, "responded_at": None, "resolved_at": None, "closed_at": None,
        "correlation_id": "call-1", "opened_event_id": "co-1", "contacts": ["call-1"], "applied": ["co-1"],
        "approvals": [], "group_id": None, "timeline": [],
        "warranty": {"under_warranty": True, "reason": "防水 5 years", "rule": "warranty.leak", "expires_on": None},
        "work_order": {"id": "wo-1", "status": "open", "progress": [], "cost": None, "completed_at": None,
                       "notes": None},
    }
    base.update(over)
    return Case.from_doc(base)


def test_acknowledge_records_the_first_response_and_publishes_the_transition(r) -> None:
    change = commands.lifecycle("acknowledge", ENG, T0 + timedelta(minutes=5), r)(case())
    assert change.state.status == "in_progress"
    assert change.state.responded_at == T0 + timedelta(minutes=5)
    (event,) = change.events
    assert (event.previous_status, event.status, event.actor) == ("assigned", "in_progress", "eng-01")


def test_an_invalid_step_is_a_conflict_with_the_reason(r) -> None:
    with pytest.raises(commands.Conflict, match="cannot close"):
        commands.lifecycle("close", MGR, T0, r)(case())


def test_only_the_center_closes_and_reopens(r) -> None:
    with pytest.raises(commands.Forbidden):
        commands.lifecycle("close", ENG, T0, r)
    assert commands.lifecycle("close", SPECIALIST, T0, r)(case(status="resolved")).state.status == "closed"


def test_waiting_on_the_owner_moves_the_deadlines_by_the_time_waited(r) -> None:
    start = case(status="in_progress")
    waiting = commands.lifecycle("wait_on_owner", ENG, T0 + timedelta(hours=1), r)(start).state
    resumed = commands.lifecycle("resume", ENG, T0 + timedelta(hours=3), r)(waiting).state
    assert resumed.to_doc()["pauses"] == [{"start": T0 + timedelta(hours=1), "end": T0 + timedelta(hours=3)}]
    # 3 business days from Monday 09:00 (Shanghai) is Thursday 09:00; two business hours waited: 11:00
    assert resumed.deadlines.resolve_by == T0 + timedelta(days=3, hours=2)


def test_a_warranty_repair_with_a_cost_needs_an_approved_cost_first() -> None:
    with pytest.raises(commands.Conflict, match="approved cost"):
        commands.work_order("complete", ENG, T0, "done", "500.00")(case())
    paid = case(warranty={"under_warranty": False, "reason": "", "rule": "", "expires_on": None})
    change = commands.work_order("complete", ENG, T0, "done", "500.00")(paid)
    assert change.state.status == "resolved"
    completed = change.events[0]
    assert completed.cost.amount == "500.00" and completed.under_warranty is False


def test_cost_approval_within_authority() -> None:
    state = commands.request_approval("cost", ENG, T0, amount="8000")(case()).state
    approval = state.approvals[0]
    assert approval.required_role == "cs_manager" and approval.amount == "8000.00"
    with pytest.raises(commands.Forbidden):
        commands.decide(approval.id, True, ENG, T0, None)(state.model_copy(deep=True))
    decided = commands.decide(approval.id, True, MGR, T0, "ok")(state.model_copy(deep=True)).state.approvals[0]
    assert (decided.status, decided.decided_by, decided.decided_role) == ("approved", "mgr", "cs_manager")
    with pytest.raises(commands.Conflict, match="approved already"):
        commands.decide(approval.id, False, GM, T0, None)(commands.decide(approval.id, True, MGR, T0, None)(
            state).state)
    big = commands.request_approval("cost", ENG, T0, amount="10000.01")(case()).state
    with pytest.raises(commands.Forbidden, match="may not approve"):
        commands.decide("ap-1", True, MGR, T0, None)(big)


def test_a_case_awaits_approval_while_one_is_pending_and_a_refusal_names_the_limit() -> None:
    """The approvers' inbox lists cases by ``awaiting_approval``; an over-limit refusal says where the limit is."""
    state = commands.request_approval("cost", ENG, T0, amount="20000")(case()).state
    assert state.awaiting_approval is True
    state = commands.request_approval("cost", ENG, T0, amount="500")(state).state
    with pytest.raises(commands.Forbidden, match=r"limit 10000\.00 CNY.*cs_general_manager may"):
        commands.decide("ap-1", True, MGR, T0, None)(state)
    state = commands.decide("ap-2", True, MGR, T0, None)(state).state
    assert state.awaiting_approval is True, "ap-1 still waits"
    state = commands.decide("ap-1", False, GM, T0, "先出方案")(state).state
    assert state.awaiting_approval is False


def test_plans_of_serious_complaints_are_approved_by_the_general_manager() -> None:
    complaint = case(kind="complaint", level=2, work_order=None)
    state = commands.request_approval("plan", SPECIALIST, T0, plan="上门道歉并赔偿")(complaint).state
    assert state.approvals[0].required_role == "cs_general_manager"
    with pytest.raises(commands.Forbidden):
        commands.decide("ap-1", True, MGR, T0, None)(state)
    assert commands.decide("ap-1", True, GM, T0, None)(state).state.approvals[0].status == "approved"
    with pytest.raises(commands.Conflict, match="complaint cases"):
        commands.request_approval("plan", SPECIALIST, T0, plan="x")(case())


@pytest.mark.parametrize("amount", ["-1", "abc", "1.001"])
def test_bad_amounts_are_refused(amount: str) -> None:
    with pytest.raises(commands.Conflict):
        commands.request_approval("cost", ENG, T0, amount=amount)(case())


def test_manual_escalation_by_the_center_only(r) -> None:
    with pytest.raises(commands.Forbidden):
        commands.manual_escalation(2, ENG, T0, r, None)
    change = commands.manual_escalation(3, MGR, T0, r, "媒体关注")(case(kind="complaint", level=1, work_order=None))
    assert change.state.level == 3 and change.events[0].reason == "manual"
    with pytest.raises(commands.Conflict):
        commands.manual_escalation(1, MGR, T0, r, None)(case(kind="complaint", level=2, work_order=None))


def test_workload_assigns_the_least_loaded_then_round_robin() -> None:
    w = Workload(roster={"engineering": ("a", "b", "c")}, counts={"engineering": {"a": 2, "b": 0, "c": 0}})
    assert [w.pick("engineering") for _ in range(4)] == ["b", "c", "b", "c"]
    assert w.counts["engineering"] == {"a": 2, "b": 2, "c": 2}
    assert w.pick("engineering") == "a"
    w.released("engineering", "b")
    assert w.pick("engineering") == "b"
    assert Workload(roster={}).pick("engineering") is None


def test_the_resolution_travels_on_resolved_and_closed_and_a_reopen_forgets_it(r) -> None:
    resolved = commands.lifecycle("resolve", SPECIALIST, T0, r, note="更换了卫生间防水层")(case(status="in_progress"))
    assert resolved.events[0].resolution == "更换了卫生间防水层"
    closed = commands.lifecycle("close", SPECIALIST, T0, r, note="业主满意")(resolved.state)
    assert (closed.events[0].status, closed.events[0].resolution) == ("closed", "更换了卫生间防水层")
    reopened = commands.lifecycle("reopen", SPECIALIST, T0, r, note="又漏了")(closed.state)
    assert reopened.events[0].resolution is None and reopened.state.resolution is None


def test_a_completed_work_order_is_the_resolution() -> None:
    done = commands.work_order("complete", ENG, T0, note="更换水龙头阀芯", cost="0")(case(status="in_progress"))
    status = [e for e in done.events if getattr(e, "status", None) == "resolved"][0]
    assert status.resolution == "更换水龙头阀芯"
