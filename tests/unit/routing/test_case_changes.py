"""The change functions on in-memory ``Case`` state: lifecycle, notes, work orders, approvals, escalation, reactions.

Pure: a ``Case`` in, the changed ``Case`` and its events out. Reactions run on an
in-memory case store (``support.routing_memory``) that changes cases as the real one does.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from kefu_contracts import CaseFollowedUp, SurveyAnswered
from kefu_kit.auth import Principal
from kefu_routing import commands, reactions
from kefu_routing.domain.case import (
    ApprovalDecided,
    ApprovalRequested,
    Case,
    DeadlineMissed,
    Escalated,
    FollowUp,
    NoteEntry,
    ReturnVisit,
    StatusEntry,
    WorkOrderEntry,
)
from kefu_routing.escalation import raise_level
from kefu_routing.opening import new_case

from support.routing_memory import T0, MemoryCases, opened, routing

ENG = Principal("eng-01", "department_staff", "engineering")
SPEC = Principal("spec", "complaint_specialist", None)
MGR = Principal("mgr", "cs_manager", None)
GM = Principal("gm", "cs_general_manager", None)
AT = T0 + timedelta(hours=1)


async def a_case(kind: str = "repair", *vips: str, **over) -> Case:
    case, _ = await new_case(opened(kind=kind, **over), routing(*vips), T0)
    case.rev = 1
    return case


async def test_a_case_goes_through_its_whole_lifecycle_with_a_status_entry_and_event_per_step() -> None:
    r = routing()
    case = await a_case()
    path = [("acknowledge", ENG, "in_progress"), ("wait_on_owner", ENG, "waiting_on_owner"),
            ("resume", ENG, "in_progress"), ("resolve", ENG, "resolved"), ("close", SPEC, "closed"),
            ("reopen", SPEC, "reopened"), ("acknowledge", ENG, "in_progress")]
    for i, (name, who, status) in enumerate(path):
        previous = case.status
        change = commands.lifecycle(name, who, AT + timedelta(hours=i), r, note=f"step {i}")(case)
        case = change.state
        assert case.status == status
        entry = case.timeline[-1]
        assert isinstance(entry, StatusEntry)
        assert (entry.status, entry.actor, entry.role, entry.note) == (status, who.name, who.role, f"step {i}")
        (event,) = change.events
        assert (event.previous_status, event.status, event.actor) == (previous, status, who.name)
    assert case.responded_at == AT, "the first acknowledgement is the response"
    assert [(p.start, p.end) for p in case.pauses] == [(AT + timedelta(hours=1), AT + timedelta(hours=2))]
    assert case.resolved_at is None and case.closed_at is None and case.resolution is None


async def test_a_note_is_a_timeline_entry_with_who_wrote_it() -> None:
    case = await a_case()
    change = commands.add_note("业主说晚上在家", ENG, AT)(case)
    assert change.events == []
    entry = change.state.timeline[-1]
    assert isinstance(entry, NoteEntry) and (entry.text, entry.actor, entry.role) == (
        "业主说晚上在家", "eng-01", "department_staff")


async def test_starting_a_work_order_starts_the_case_once_and_progress_needs_a_note() -> None:
    case = await a_case()
    change = commands.work_order("start", ENG, AT, "上门")(case)
    assert (case.status, case.responded_at, case.work_order.status, case.work_order.started_at) == (
        "in_progress", AT, "started", AT)
    assert [(e.previous_status, e.status) for e in change.events] == [("assigned", "in_progress")]
    assert commands.work_order("start", ENG, AT, None)(case).events == [], "in progress already: no transition"
    with pytest.raises(commands.Conflict, match="needs a note"):
        commands.work_order("progress", ENG, AT, None)(case)
    commands.work_order("progress", ENG, AT + timedelta(hours=1), "换阀芯")(case)
    assert [(p.at, p.note, p.by) for p in case.work_order.progress] == [(AT + timedelta(hours=1), "换阀芯", "eng-01")]
    assert [e.type for e in case.timeline if isinstance(e, WorkOrderEntry)] == [
        "work_order_start", "work_order_start", "work_order_progress"]
    with pytest.raises(commands.Conflict, match="unknown work-order action"):
        commands.work_order("paint", ENG, AT, None)(case)


async def test_completing_a_work_order_resolves_the_case_and_reports_the_repair() -> None:
    case = await a_case(handover_date=None)  # warranty unknown: no approval needed for a cost
    change = commands.work_order("complete", ENG, AT, "换了水龙头", "120.5")(case)
    completed, resolved = change.events
    assert (completed.work_order_id, completed.cost.amount, completed.notes) == (case.work_order.id, "120.50",
                                                                                "换了水龙头")
    assert (resolved.previous_status, resolved.status, resolved.resolution) == ("assigned", "resolved", "换了水龙头")
    assert (case.status, case.resolved_at, case.responded_at, case.resolution) == ("resolved", AT, AT, "换了水龙头")
    assert (case.work_order.status, case.work_order.completed_at, case.work_order.cost) == ("completed", AT, "120.50")
    assert case.timeline[-1].cost == "120.50"
    with pytest.raises(commands.Conflict, match="completed already"):
        commands.work_order("complete", ENG, AT, None, "0")(case)
    inquiry = await a_case("inquiry", category=None)
    with pytest.raises(commands.Conflict, match="no work order"):
        commands.work_order("start", ENG, AT, None)(inquiry)


async def test_an_approved_cost_lets_a_warranty_repair_complete_at_that_cost() -> None:
    case = await a_case()
    assert case.warranty.under_warranty is True
    commands.request_approval("cost", ENG, AT, amount="800")(case)
    with pytest.raises(commands.Conflict, match="approved cost"):
        commands.work_order("complete", ENG, AT, "完成", "800.00")(case)
    commands.decide("ap-1", True, SPEC, AT, None)(case)
    with pytest.raises(commands.Conflict, match="approved cost"):
        commands.work_order("complete", ENG, AT, "完成", "800.01")(case)
    assert commands.work_order("complete", ENG, AT, "完成", "800.00")(case).state.status == "resolved"


async def test_approvals_are_numbered_recorded_and_decided_once() -> None:
    case = await a_case("complaint", "cust-1", category="service")  # VIP: level 2
    commands.request_approval("plan", SPEC, AT, plan="上门道歉")(case)
    commands.request_approval("cost", SPEC, AT, amount="300")(case)
    assert [(a.id, a.kind, a.required_role, a.status) for a in case.approvals] == [
        ("ap-1", "plan", "cs_general_manager", "pending"), ("ap-2", "cost", "complaint_specialist", "pending")]
    assert [e.approval_id for e in case.timeline if isinstance(e, ApprovalRequested)] == ["ap-1", "ap-2"]
    commands.decide("ap-2", False, SPEC, AT, "先出方案")(case)
    assert case.awaiting_approval is True
    commands.decide("ap-1", True, GM, AT + timedelta(minutes=5), "同意")(case)
    plan = case.approvals[0]
    assert (plan.status, plan.decided_by, plan.decided_role, plan.decided_at, plan.reason) == (
        "approved", "gm", "cs_general_manager", AT + timedelta(minutes=5), "同意")
    assert case.awaiting_approval is False
    assert [(e.approval_id, e.decision) for e in case.timeline if isinstance(e, ApprovalDecided)] == [
        ("ap-2", "rejected"), ("ap-1", "approved")]
    with pytest.raises(commands.Conflict, match="no approval ap-9"):
        commands.decide("ap-9", True, GM, AT, None)(case)
    with pytest.raises(commands.Conflict, match="kind must be plan or cost"):
        commands.request_approval("gift", SPEC, AT)(case)
    with pytest.raises(commands.Conflict, match="needs its text"):
        commands.request_approval("plan", SPEC, AT, plan="")(case)


async def test_raising_a_level_recounts_the_deadlines_and_records_who_and_why() -> None:
    r = routing()
    case = await a_case("complaint", category="service")
    assert case.level == 1
    before = case.deadlines
    later = T0 + timedelta(days=1)
    (event,) = raise_level(case, 2, "repeat_complaint", r, later, "fu-1", "routing")
    assert case.level == 2 and case.deadlines != before and case.deadlines.respond_by > later
    record = case.escalations[-1]
    assert (record.from_level, record.to_level, record.reason, record.at, record.cause, record.approver_role) == (
        1, 2, "repeat_complaint", later, "fu-1", "cs_general_manager")
    entry = case.timeline[-1]
    assert isinstance(entry, Escalated) and (entry.from_level, entry.to_level, entry.reason) == (1, 2,
                                                                                                "repeat_complaint")
    assert (event.level, event.previous_level, event.respond_by) == (2, 1, case.deadlines.respond_by)
    assert raise_level(case, 2, "manual", r, later, "x", "spec") == [] and len(case.escalations) == 1
    assert raise_level(case, 3, "group_complaint", r, later, "g-1", "routing", publish=False) == []
    assert case.level == 3 and case.escalations[-1].reason == "group_complaint"


async def test_a_manual_escalation_keeps_the_note_on_its_timeline_entry() -> None:
    r = routing()
    case = await a_case("complaint", category="service")
    change = commands.manual_escalation(3, SPEC, AT, r, "媒体关注")(case)
    assert change.events[0].level == 3
    assert isinstance(case.timeline[-1], Escalated) and case.timeline[-1].note == "媒体关注"
    with pytest.raises(commands.Conflict, match="at level 3 already"):
        commands.manual_escalation(3, SPEC, AT, r, None)(case)
    with pytest.raises(commands.Conflict, match="never lowered"):
        commands.manual_escalation(2, SPEC, AT, r, None)(case)


def follow_up(kind: str, event_id: str = "fu-1") -> CaseFollowedUp:
    return CaseFollowedUp(event_id=event_id, occurred_at=AT, correlation_id="call-case-1", causation_id="call-2",
                          case_id="case-1", contact_id=f"call-{event_id}", customer_id="cust-1", channel="wechat",
                          kind=kind, body="还没人来")


async def stored_case(r, kind: str = "repair", **over) -> MemoryCases:
    case, _ = await new_case(opened(kind=kind, **over), r, T0)
    r.cases.put(case)
    return r.cases


async def test_a_follow_up_is_recorded_once_and_a_complaint_about_the_case_escalates_it() -> None:
    r = routing()
    cases = await stored_case(r)
    await reactions.follow_up(follow_up("inquiry"), r, AT)
    case = await cases.get_case("case-1")
    assert case.contacts == ["call-case-1", "call-fu-1"] and case.level == 0 and cases.published == []
    assert isinstance(case.timeline[-1], FollowUp) and case.timeline[-1].channel == "wechat"
    await reactions.follow_up(follow_up("complaint", "fu-2"), r, AT)
    await reactions.follow_up(follow_up("complaint", "fu-2"), r, AT)  # redelivered: applied once
    case = await cases.get_case("case-1")
    assert case.level == 1 and [e.reason for e in case.escalations] == ["repeat_complaint"]
    assert [type(e).__name__ for e in cases.published] == ["ComplaintEscalated"]
    assert case.applied == ["case-1-opened", "fu-1", "fu-2"] and case.rev == 3
    assert ("case-1", "resolve", case.deadlines.resolve_by) in r.timers.scheduled


async def test_a_missed_deadline_marks_the_case_overdue_once_and_escalates_a_complaint() -> None:
    r = routing()
    cases = await stored_case(r, "complaint", category="service")
    case = await cases.get_case("case-1")
    timer = {"_id": f"case-1|respond|{case.deadlines.respond_by.isoformat()}", "case_id": "case-1",
             "which": "respond", "due_at": case.deadlines.respond_by}
    late = case.deadlines.respond_by + timedelta(minutes=1)
    await reactions.fire_timer(timer, r, late)
    await reactions.fire_timer(timer, r, late)  # fired twice (two instances): applied once
    case = await cases.get_case("case-1")
    assert (case.overdue, case.is_overdue, case.level) == (["respond"], True, 2)
    missed = [e for e in case.timeline if isinstance(e, DeadlineMissed)]
    assert [(e.which, e.due_at) for e in missed] == [("respond", timer["due_at"])]
    assert [e.reason for e in cases.published] == ["sla_breach"]
    assert r.timers.done_ids == [timer["_id"], timer["_id"]]
    stale = {**timer, "_id": "case-1|resolve|old", "which": "resolve", "due_at": T0}  # the deadline moved since
    await reactions.fire_timer(stale, r, late)
    assert (await cases.get_case("case-1")).overdue == ["respond"]
    await reactions.fire_timer({**timer, "case_id": "case-gone"}, r, late)  # its case is gone: just done


def answer(event_id: str, csat: int | None, solved: bool | None = None) -> SurveyAnswered:
    return SurveyAnswered(event_id=event_id, occurred_at=AT, correlation_id="x", causation_id="y",
                          survey_id=f"s-{event_id}", kind="repair_return_visit", customer_id="cust-1",
                          case_id="case-1", questionnaire_id="q", csat=csat, solved=solved, answered_at=AT)


async def test_a_dissatisfied_return_visit_reopens_the_repair_and_its_work_order_and_escalates() -> None:
    r = routing()
    cases = await stored_case(r, handover_date=None)
    await cases.mutate_case("case-1", commands.work_order("complete", ENG, AT, "完成", "0"))
    order_id = (await cases.get_case("case-1")).work_order.id
    cases.published.clear()
    await reactions.survey_answered(answer("sa-1", 1, solved=False), r, AT)
    await reactions.survey_answered(answer("sa-1", 1, solved=False), r, AT)  # redelivered: applied once
    case = await cases.get_case("case-1")
    assert (case.status, case.resolved_at, case.level) == ("reopened", None, 1)
    assert (case.work_order.status, case.work_order.completed_at, case.work_order.id) == (
        "open", None, f"{order_id}-r")
    assert [type(e).__name__ for e in cases.published] == ["CaseStatusChanged", "ComplaintEscalated"]
    visit = [e for e in case.timeline if isinstance(e, ReturnVisit)]
    assert [(v.csat, v.solved, v.actor) for v in visit] == [(1, False, "surveys")]


async def test_a_satisfied_return_visit_closes_a_resolved_case_and_leaves_an_open_one_open() -> None:
    r = routing()
    cases = await stored_case(r, "inquiry", category=None)
    await reactions.survey_answered(answer("sa-1", 5), r, AT)
    assert (await cases.get_case("case-1")).status == "assigned"
    await cases.mutate_case("case-1", commands.lifecycle("resolve", SPEC, AT, r, "已答复"))
    await reactions.survey_answered(answer("sa-2", 4), r, AT + timedelta(hours=1))
    case = await cases.get_case("case-1")
    assert (case.status, case.closed_at) == ("closed", AT + timedelta(hours=1))
    assert cases.published[-1].status == "closed" and cases.published[-1].resolution == "已答复"
