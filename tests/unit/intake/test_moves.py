"""Folding a batch of case.status_changed into intake's writes: last event wins, only what differs is written."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from kefu_contracts import CaseStatusChanged
from kefu_intake.domain.moves import (
    Opening,
    ProblemState,
    department_writes,
    just_assigned,
    problem_moves,
    problem_states,
    problem_writes,
)
from kefu_intake.domain.records import OpenProblem

T = datetime(2026, 11, 1, 10, tzinfo=timezone.utc)
KEY = "cust-1|滨江花园|3幢|1202|leak"


def moved(case_id: str, status: str, department: str = "engineering", minutes: int = 0,
          customer_id: str = "cust-1", contact: str | None = None, previous: str | None = None) -> CaseStatusChanged:
    return CaseStatusChanged(
        event_id=f"st-{case_id}-{status}-{minutes}", occurred_at=T + timedelta(minutes=minutes),
        correlation_id=contact or f"call-{case_id}", causation_id=f"cause-{case_id}", case_id=case_id,
        customer_id=customer_id, status=status, previous_status=previous, actor="routing", kind="repair",
        department=department)


def problem(case_id: str = "case-1", is_open: bool = True, closed_at: datetime | None = None) -> OpenProblem:
    return OpenProblem(id=KEY, case_id=case_id, open=is_open, opened_at=T - timedelta(days=1),
                       last_contact_at=T - timedelta(days=1), closed_at=closed_at, rev=3)


OPENINGS = {"call-case-1": Opening(KEY, "case-1")}


# --- departments --------------------------------------------------------------------------------

def test_a_case_seen_for_the_first_time_is_an_insert_of_its_last_department() -> None:
    writes = department_writes([moved("case-1", "assigned", "engineering"),
                                moved("case-1", "in_progress", "property", minutes=5)], stored={})
    assert writes.new == [{"_id": "case-1", "customer_id": "cust-1", "department": "property",
                           "at": T + timedelta(minutes=5)}]
    assert writes.changed == []


def test_a_case_moved_to_another_department_is_overwritten_and_a_move_within_it_is_no_write() -> None:
    stored = {"case-1": {"_id": "case-1", "customer_id": "cust-1", "department": "engineering"},
              "case-2": {"_id": "case-2", "customer_id": "cust-1", "department": "engineering"}}
    writes = department_writes([moved("case-1", "in_progress", "property", minutes=1),
                                moved("case-2", "in_progress", "engineering", minutes=1),
                                moved("case-2", "resolved", "engineering", minutes=2)], stored)
    assert writes.new == []
    assert writes.changed == [{"_id": "case-1", "customer_id": "cust-1", "department": "property",
                               "at": T + timedelta(minutes=1)}]


def test_a_case_moved_away_and_back_within_the_batch_is_no_write() -> None:
    stored = {"case-1": {"_id": "case-1", "customer_id": "cust-1", "department": "engineering"}}
    writes = department_writes([moved("case-1", "in_progress", "property", minutes=1),
                                moved("case-1", "in_progress", "engineering", minutes=2)], stored)
    assert writes.new == [] and writes.changed == []


def test_the_cases_just_assigned_are_those_moved_on_from_opened() -> None:
    events = [moved("case-1", "assigned", previous="opened"), moved("case-1", "in_progress", previous="assigned"),
              moved("case-2", "in_progress", previous="assigned"), moved("case-3", "closed", previous="resolved")]
    assert just_assigned(events) == {"case-1"}
    assert just_assigned([moved("case-4", "assigned")]) == set(), "no previous status: not known to be the first"


def test_a_redelivered_batch_of_moves_writes_nothing() -> None:
    events = [moved("case-1", "assigned", "engineering"), moved("case-2", "assigned", "property")]
    first = department_writes(events, stored={})
    stored = {doc["_id"]: doc for doc in first.new}
    again = department_writes(events, stored)
    assert again.new == [] and again.changed == []


# --- which problem each event moves -----------------------------------------------------------

def test_the_last_move_of_a_case_decides_its_problem() -> None:
    states = problem_states([moved("case-1", "in_progress"), moved("case-1", "resolved", minutes=3)], OPENINGS)
    assert states == [ProblemState(KEY, "case-1", False, T + timedelta(minutes=3))]
    states = problem_states([moved("case-1", "resolved"), moved("case-1", "reopened", minutes=3)], OPENINGS)
    assert states == [ProblemState(KEY, "case-1", True, T + timedelta(minutes=3))]


def test_an_assignment_moves_no_problem_and_any_later_move_does() -> None:
    """The problem of a case just opened is open, for that case: intake recorded it so when it opened the case."""
    assigned = moved("case-1", "assigned", previous="opened")
    later = [moved("case-1", "in_progress", previous="assigned", minutes=1),
             moved("case-2", "resolved", previous="opened", minutes=1),  # resolved at once: it closes the problem
             moved("case-3", "assigned")]
    assert problem_moves([assigned, *later]) == later
    assert problem_states(problem_moves([assigned]), OPENINGS) == []
    assert problem_states(problem_moves([assigned, moved("case-1", "resolved", previous="assigned", minutes=2)]),
                          OPENINGS) == [ProblemState(KEY, "case-1", False, T + timedelta(minutes=2))]


def test_moves_whose_contact_is_unknown_has_no_problem_or_opened_another_case_leave_problems_alone() -> None:
    openings = {"call-case-1": Opening(None, "case-1"), "call-case-2": Opening(KEY, "case-9")}
    assert problem_states([moved("case-1", "resolved"), moved("case-2", "resolved"), moved("case-3", "resolved")],
                          openings) == []


def test_a_move_without_a_contact_does_not_hide_an_earlier_one_that_has_it() -> None:
    """As one event at a time: the earlier event closed the problem, the later (another chain) did nothing."""
    states = problem_states([moved("case-1", "resolved"), moved("case-1", "reopened", minutes=3, contact="survey-x")],
                            OPENINGS)
    assert states == [ProblemState(KEY, "case-1", False, T)]


def test_two_cases_of_one_problem_are_two_states() -> None:
    openings = {**OPENINGS, "call-case-2": Opening(KEY, "case-2")}
    states = problem_states([moved("case-1", "closed"), moved("case-2", "assigned", minutes=1)], openings)
    assert states == [ProblemState(KEY, "case-1", False, T), ProblemState(KEY, "case-2", True, T + timedelta(minutes=1))]


# --- what is written for them -------------------------------------------------------------------

def test_an_open_case_assigned_again_or_a_close_redelivered_is_no_write() -> None:
    assert problem_writes([ProblemState(KEY, "case-1", True, T)], {KEY: problem()}).changed == []
    closed = problem(is_open=False, closed_at=T)
    # the event's microseconds are not stored (BSON dates): the same close read back is still the same
    again = problem_writes([ProblemState(KEY, "case-1", False, T + timedelta(microseconds=400))], {KEY: closed})
    assert again.new == [] and again.changed == []


def test_a_case_resolved_closed_or_reopened_is_written() -> None:
    resolve = ProblemState(KEY, "case-1", False, T)
    assert problem_writes([resolve], {KEY: problem()}).changed == [resolve]
    close_later = ProblemState(KEY, "case-1", False, T + timedelta(days=2))
    assert problem_writes([close_later], {KEY: problem(is_open=False, closed_at=T)}).changed == [close_later]
    reopen = ProblemState(KEY, "case-1", True, T + timedelta(days=3))
    assert problem_writes([reopen], {KEY: problem(is_open=False, closed_at=T)}).changed == [reopen]


def test_a_problem_held_by_a_newer_case_is_left_alone() -> None:
    writes = problem_writes([ProblemState(KEY, "case-1", True, T), ProblemState(KEY, "case-1", False, T)],
                            {KEY: problem(case_id="case-2")})
    assert writes.new == [] and writes.changed == []


def test_a_reopened_case_whose_problem_was_pruned_is_put_back_and_a_closed_one_is_not() -> None:
    at = T + timedelta(days=40)
    writes = problem_writes([ProblemState(KEY, "case-1", True, at)], {})
    assert writes.changed == []
    (back,) = writes.new
    assert back.to_doc() == {"_id": KEY, "case_id": "case-1", "open": True, "opened_at": at, "last_contact_at": at,
                             "closed_at": None, "recent": [], "rev": 1}
    assert problem_writes([ProblemState(KEY, "case-1", False, at)], {}).new == []
