"""What the page shows: who sees which cases, and the summary's counts, overdue cases and group complaints."""

from __future__ import annotations

import pytest
from dashboard_events import assigned, at, escalated, opened, status
from kefu_dashboard.projection import OPEN_STATUSES
from kefu_dashboard.views import Board, NotAllowed, Scope, summary
from kefu_kit.auth import Principal
from test_projection import build

MANAGER = Principal("wang", "cs_manager", None)
ENGINEER = Principal("li", "department_staff", "engineering")


def test_department_staff_are_held_to_their_department() -> None:
    assert Scope.of(ENGINEER, None, None).query() == {"department": "engineering"}
    assert Scope.of(ENGINEER, "滨江花园", "engineering").query() == {"project": "滨江花园", "department": "engineering"}
    with pytest.raises(NotAllowed):
        Scope.of(ENGINEER, None, "property")
    assert Scope.of(MANAGER, None, None).query() == {}
    assert Scope.of(MANAGER, "", "property").query() == {"department": "property"}


def test_a_scope_admits_only_its_cases() -> None:
    scope = Scope.of(ENGINEER, "滨江花园", None)
    assert scope.admits({"department": "engineering", "project": "滨江花园"})
    assert not scope.admits({"department": "property", "project": "滨江花园"})
    assert not scope.admits({"department": "engineering", "project": "翠湖天地"})


def board(cases: list[dict]) -> Board:
    """What the store would select for the summary."""
    statuses: dict[str, int] = {}
    for c in cases:
        statuses[c["status"]] = statuses.get(c["status"], 0) + 1
    return Board([c for c in cases if c["status"] in OPEN_STATUSES], [c for c in cases if c["group_id"]], statuses,
                 sorted({c["project"] for c in cases}), sorted({c["department"] for c in cases}))


def cases() -> list[dict]:
    lead = escalated("g1", level=3, previous=1, minute=40, reason="group_complaint", causation_id="group-1",
                     related_case_ids=["g1", "g2", "g3"], department="customer_service")
    events = [
        opened("e1"), assigned("e1"),
        opened("p1", kind="repair"), assigned("p1", department="property", kind="repair", level=None),
        status("p1", "in_progress", "assigned", 30, department="property", level=None),
        opened("done"), assigned("done"), status("done", "resolved", "assigned", 20),
        lead,
    ]
    for case in ("g1", "g2", "g3"):
        events += [opened(case, minute=5), assigned(case, minute=6, department="customer_service")]
    return list(build(events).values())


def test_the_summary_counts_open_cases_by_department_and_level() -> None:
    s = summary(board(cases()), now=at(60))
    assert s["counts"]["cases"] == 6 and s["counts"]["open"] == 5 and s["counts"]["groups"] == 1
    assert s["counts"]["escalated_open"] == 1
    assert s["open_by_department"] == [
        # the group's members are at the group's level, as in routing, though only its lead was escalated
        {"department": "customer_service", "total": 3, "levels": {"0": 0, "1": 0, "2": 0, "3": 3}},
        {"department": "engineering", "total": 1, "levels": {"0": 0, "1": 1, "2": 0, "3": 0}},
        {"department": "property", "total": 1, "levels": {"0": 1, "1": 0, "2": 0, "3": 0}},
    ]
    assert s["departments"] == ["customer_service", "engineering", "property"]
    assert s["counts"]["by_status"] == {"assigned": 4, "in_progress": 1, "resolved": 1}


def test_overdue_cases_are_open_ones_past_a_deadline_most_overdue_first() -> None:
    s = summary(board(cases()), now=at(125))
    assert [c["_id"] for c in s["overdue"]] == ["g1", "e1", "g2", "g3"], \
        "p1 responded, done is resolved; g1's escalation gave it the earliest deadline"
    assert {tuple(c["overdue"]) for c in s["overdue"]} == {("respond",)}
    assert s["counts"]["overdue"] == 4
    assert [c["_id"] for c in summary(board(cases()), now=at(110))["overdue"]] == ["g1"]


def test_group_complaints_list_their_members() -> None:
    (group,) = summary(board(cases()), now=at(60))["groups"]
    assert group["group_id"] == "group-1" and group["lead_case_id"] == "g1" and group["level"] == 3
    assert [m["case_id"] for m in group["members"]] == ["g1", "g2", "g3"] and group["open"] == 3
    assert group["escalated_at"] == at(40).replace(microsecond=123000)
