"""Which deadline timers a case needs (the batch schedules them in one bulk insert, the single path one by one)."""

from datetime import datetime, timedelta, timezone

from kefu_routing.domain.case import Case
from kefu_routing.opening import building_group_key, deadline_timers

AT = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def case(**overrides) -> Case:
    return Case.from_doc({
        "_id": "c1", "status": "assigned", "responded_at": None, "customer_id": "u1", "project": "滨江花园",
        "building": "3幢", "category": "leak", "opened_at": AT, "kind": "repair", "body": "漏水",
        "department": "engineering", "assignment_rule": "repair", "correlation_id": "call-1", "opened_event_id": "co-1",
        "deadlines": {"respond_by": AT + timedelta(hours=2), "resolve_by": AT + timedelta(days=3), "rule": "repair"},
        **overrides})


def test_an_open_case_waits_for_its_response_and_its_resolution():
    assert deadline_timers(case()) == [("c1", "respond", AT + timedelta(hours=2)),
                                       ("c1", "resolve", AT + timedelta(days=3))]


def test_a_responded_case_waits_only_for_its_resolution():
    assert deadline_timers(case(responded_at=AT, status="in_progress")) == [("c1", "resolve", AT + timedelta(days=3))]


def test_a_resolved_or_closed_case_waits_for_nothing():
    assert deadline_timers(case(status="resolved")) == []
    assert deadline_timers(case(status="closed")) == []


def test_cases_of_one_building_and_problem_share_a_group_key_and_a_case_without_a_building_has_none():
    assert building_group_key(case()) == building_group_key(case(_id="c2", customer_id="u2"))
    assert building_group_key(case()) != building_group_key(case(building="4幢"))
    assert building_group_key(case(building=None)) is None
