"""The dashboard's read model: every event's effect, idempotency, and the same document in any arrival order."""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest
from dashboard_events import T0, answered, assigned, at, completed, escalated, group_changed, life, opened, status
from kefu_contracts import Event
from kefu_dashboard import projection
from kefu_dashboard.projection import answer_document, apply, facts_of, ms, overdue


def build(events: list[tuple[str, Event]]) -> dict[str, dict[str, Any]]:
    """Apply events in the given order, as the service does: one document per case id."""
    docs: dict[str, dict[str, Any]] = {}
    for topic, event in events:
        for case_id, fact in facts_of(topic, event):
            new = apply(docs.get(case_id), case_id, fact)
            if new is not None:
                docs[case_id] = new
    return docs


def test_a_new_case_is_described_by_its_opening() -> None:
    case = build([opened()])["case-1"]
    assert case["_id"] == "case-1"
    assert (case["customer_id"], case["kind"], case["category"], case["channel"]) == ("cust-1", "complaint", "leak", "hotline")
    assert (case["project"], case["building"], case["unit"], case["urgent_flags"]) == ("滨江花园", "3幢", "0301", ["media"])
    assert case["opened_at"] == ms(T0) and case["opened_at"].microsecond == 123000
    assert case["status"] == "opened" and case["level"] == 0 and case["department"] is None
    assert case["answers"] == [] and case["escalations"] == [] and case["group_id"] is None
    assert case["applied"] == ["case-1-opened"]


def test_assignment_gives_department_person_deadlines_level_and_summary() -> None:
    case = build([opened(), assigned()])["case-1"]
    assert (case["department"], case["assignee"], case["status"], case["level"]) == ("engineering", "eng-li", "assigned", 1)
    assert (case["respond_by"], case["resolve_by"]) == (ms(at(120)), ms(at(2880)))
    assert case["summary"] == "[complaint] 滨江花园 3幢 漏水"
    assert case["responded_at"] is None


def test_the_whole_life_of_a_complaint() -> None:
    case = build(life())["case-1"]
    assert case["status"] == "closed"
    assert case["responded_at"] == ms(at(10)), "the first move to in progress is the response"
    assert case["resolved_at"] == ms(at(200)), "the latest resolution after the reopening"
    assert case["closed_at"] == ms(at(300))
    assert case["level"] == 2
    assert (case["respond_by"], case["resolve_by"]) == (ms(at(161)), ms(at(1541)))
    assert case["escalations"] == [{
        "event_id": "case-1-escalated-2", "level": 2, "previous_level": 1, "reason": "dissatisfied_return_visit",
        "approver_role": "cs_general_manager", "at": ms(at(101)), "related_case_ids": []}]
    assert case["answers"] == [{"survey_id": "sv-1", "kind": "complaint_return_visit", "csat": 2, "solved": False,
                                "nps": None, "answered_at": ms(at(100))}]
    assert len(case["facts"]) == len(case["applied"]) == len(life())


def test_a_reopening_clears_resolved_and_closed() -> None:
    events = [opened(), assigned(), status("case-1", "resolved", "assigned", 5),
              status("case-1", "closed", "resolved", 6), status("case-1", "reopened", "closed", 7)]
    case = build(events)["case-1"]
    assert case["status"] == "reopened" and case["resolved_at"] is None and case["closed_at"] is None
    assert case["responded_at"] == ms(at(5)), "a resolution is a response too"


def test_deadlines_come_from_the_latest_event_carrying_them() -> None:
    case = build([opened(), assigned(), escalated(minute=30), status("case-1", "in_progress", "assigned", 20)])["case-1"]
    assert case["respond_by"] == ms(at(90)), "the escalation at minute 30 is later than the status change at 20"
    assert case["level"] == 2


def test_the_level_is_the_highest_ever_seen() -> None:
    events = [opened(), assigned(level=1), escalated(level=3, previous=1, minute=5, reason="urgent_keyword"),
              status("case-1", "in_progress", "assigned", 9, level=None)]
    assert build(events)["case-1"]["level"] == 3


def test_steps_of_one_change_share_a_time_and_still_order() -> None:
    """Routing stamps the assignment, the status and an escalation of one change with one time."""
    events = [opened(), assigned(minute=1), status("case-1", "assigned", None, 1),
              status("case-1", "reopened", "resolved", 50), status("case-1", "in_progress", "reopened", 50)]
    for order in itertools.permutations(events):
        case = build(list(order))["case-1"]
        assert case["status"] == "in_progress"


def test_a_group_complaint_marks_every_member_seen_before_or_after() -> None:
    lead = escalated("case-1", level=3, previous=1, minute=40, reason="group_complaint",
                     causation_id="group-9", related_case_ids=["case-1", "case-2", "case-3"])
    events = [opened("case-1"), opened("case-2", minute=5), lead, opened("case-3", minute=10)]
    docs = build(events)
    assert {d["group_id"] for d in docs.values()} == {"group-9"}
    assert docs["case-1"]["escalations"][0]["related_case_ids"] == ["case-1", "case-2", "case-3"]
    assert docs["case-2"]["escalations"] == [], "members take no escalation of their own"
    assert docs["case-3"]["opened_at"] == ms(at(10)), "a member known first by the group, then opened"


def test_members_take_the_group_level_and_a_later_member_joins_by_group_changed() -> None:
    lead = escalated("case-1", level=3, previous=1, minute=40, reason="group_complaint",
                     causation_id="group-9", related_case_ids=["case-1", "case-2", "case-3"])
    events = [opened("case-1"), assigned("case-1"), opened("case-2", minute=5), assigned("case-2", minute=6),
              opened("case-3", minute=10), opened("case-4", minute=50), assigned("case-4", minute=51),
              lead, group_changed(["case-1", "case-2", "case-3"]),
              group_changed(["case-1", "case-2", "case-3", "case-4"], minute=51)]
    for order in [events, list(reversed(events)), random.Random(7).sample(events, len(events))]:
        docs = build(order)
        assert {d["group_id"] for d in docs.values()} == {"group-9"}, "case-4 joined after the escalation"
        assert {c: d["level"] for c, d in docs.items()} == {"case-1": 3, "case-2": 3, "case-3": 3, "case-4": 3}
        assert {c: len(d["escalations"]) for c, d in docs.items()} == {"case-1": 1, "case-2": 0, "case-3": 0,
                                                                       "case-4": 0}, "escalated once, on the lead"


def test_an_answer_reaches_its_case_and_the_answers_collection() -> None:
    topic, event = answered(project=None)
    assert facts_of(topic, event)[0][0] == "case-1"
    doc = answer_document(event, case_project="滨江花园")
    assert doc == {"_id": "sv-1", "survey_id": "sv-1", "kind": "complaint_return_visit", "customer_id": "cust-1",
                   "case_id": "case-1", "questionnaire_id": "complaint-v1", "csat": 2, "solved": False, "nps": None,
                   "answered_at": ms(at(3000)), "project": "滨江花园", "department": None}
    assert answer_document(answered(project="翠湖天地")[1], "滨江花园")["project"] == "翠湖天地", "the event's own wins"
    assert facts_of(*answered(case_id=None)) == [], "a periodic survey names no case"


def test_an_event_applied_twice_changes_nothing() -> None:
    docs = build(life())
    for topic, event in life():
        for case_id, fact in facts_of(topic, event):
            assert apply(docs[case_id], case_id, fact) is None


def test_any_arrival_order_gives_the_same_document() -> None:
    every_kind = life()[:2] + life()[3:8]  # opened, assigned, in progress, resolved, answered, reopened, escalated
    expected = build(every_kind)
    for order in itertools.permutations(every_kind):
        assert build(list(order)) == expected


@pytest.mark.parametrize("seed", range(300))
def test_any_arrival_order_of_several_cases_with_repeats_gives_the_same_documents(seed: int) -> None:
    lead = escalated("case-1", level=3, previous=1, minute=40, reason="group_complaint",
                     causation_id="group-9", related_case_ids=["case-1", "case-2"])
    events = [*life("case-1"), lead, opened("case-2", minute=3, customer_id="cust-2"), assigned("case-2", minute=4),
              answered("case-2", "sv-2", minute=500, customer_id="cust-2", csat=5, solved=True, nps=9)]
    expected = build(events)
    rng = random.Random(seed)
    shuffled = events + rng.sample(events, 4)  # redeliveries too
    rng.shuffle(shuffled)
    assert build(shuffled) == expected


def test_overdue_means_open_and_past_a_deadline_not_met() -> None:
    case = build([opened(), assigned()])["case-1"]
    assert overdue(case, at(60)) == []
    assert overdue(case, at(121)) == ["respond"]
    assert overdue(case, at(3000)) == ["respond", "resolve"]
    worked = build([opened(), assigned(), status("case-1", "in_progress", "assigned", 30)])["case-1"]
    assert overdue(worked, at(3000)) == ["resolve"]
    done = build([opened(), assigned(), status("case-1", "resolved", "assigned", 3000)])["case-1"]
    assert overdue(done, at(4000)) == [] and not projection.is_open(done)


def test_other_events_are_refused() -> None:
    with pytest.raises(TypeError):
        facts_of("member.joined", object())  # type: ignore[arg-type]


def test_work_orders_keep_cost_warranty_and_who_did_them_whatever_the_order() -> None:
    events = [opened(kind="repair"), assigned(kind="repair"),
              completed(work_order="wo-1", minute=500, cost="120.50", under_warranty=True),
              completed(work_order="wo-1-r", minute=900, cost="0", under_warranty=False, department="contractor_a")]
    docs = []
    for order in (events, events[::-1]):
        doc = None
        for topic, event in order:
            for case_id, fact in facts_of(topic, event):
                doc = apply(doc, case_id, fact) or doc
        docs.append(doc)
    assert docs[0] == docs[1]
    assert docs[0]["work_orders"] == [
        {"work_order_id": "wo-1", "department": "engineering", "under_warranty": True, "cost": "120.50",
         "completed_at": ms(at(500))},
        {"work_order_id": "wo-1-r", "department": "contractor_a", "under_warranty": False, "cost": "0",
         "completed_at": ms(at(900))}]
    assert docs[0]["department"] == "engineering", "a work order does not reassign the case"
    assert apply(docs[0], "case-1", facts_of(*completed(work_order="wo-1", minute=500))[0][1]) is None
