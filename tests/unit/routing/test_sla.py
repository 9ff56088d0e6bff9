import copy
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from kefu_routing.domain.calendar import BusinessCalendar, default_calendar
from kefu_routing.domain.sla import Deadlines, deadlines, default_sla_table, is_overdue, parse_sla_table

SH = ZoneInfo("Asia/Shanghai")
S = timedelta(seconds=1)


def sh(d: int, h: int, mi: int = 0, s: int = 0, mo: int = 3) -> datetime:
    return datetime(2026, mo, d, h, mi, s, tzinfo=SH)


WED = sh(4, 10)  # Wednesday 2026-03-04 10:00, an ordinary working week


@pytest.fixture
def cal() -> BusinessCalendar:
    return default_calendar()


@pytest.mark.parametrize(
    ("kind", "level", "flags", "respond_by", "resolve_by", "rule"),
    [
        ("repair", 1, [], sh(4, 12), sh(9, 10), "repair"),  # 2 business hours, 3 business days
        ("repair", 1, ["gas"], sh(4, 10, 30), sh(5, 10), "repair.emergency"),  # 30 min, 24 h wall clock
        ("repair", 1, ["media", "elevator_entrapment"], sh(4, 10, 30), sh(5, 10), "repair.emergency"),
        ("repair", 1, ["media"], sh(4, 12), sh(9, 10), "repair"),  # not an emergency
        ("complaint", 1, [], sh(4, 15), sh(11, 10), "complaint.level1"),  # 4 business hours, 5 days
        ("complaint", 2, [], sh(4, 12), sh(9, 10), "complaint.level2"),  # 2 business hours, 3 days
        ("complaint", 3, [], sh(4, 11), sh(6, 10), "complaint.level3"),  # 1 h wall, 2 business days
        ("complaint", 2, ["gas"], sh(4, 12), sh(9, 10), "complaint.level2"),  # the level decides a complaint
        ("inquiry", 1, [], sh(4, 15), sh(6, 10), "inquiry"),  # 4 business hours, 2 days
        ("suggestion", 1, [], sh(5, 10), sh(11, 10), "suggestion"),  # 1 business day, 5 days
        ("praise", 1, [], sh(5, 10), sh(11, 10), "praise"),
    ],
)
def test_default_deadlines(
    cal: BusinessCalendar,
    kind: str,
    level: int,
    flags: list[str],
    respond_by: datetime,
    resolve_by: datetime,
    rule: str,
) -> None:
    assert deadlines(kind, level, flags, WED, cal) == Deadlines(respond_by, resolve_by, rule)


def test_wall_clock_runs_through_the_weekend_and_business_clock_waits(cal: BusinessCalendar) -> None:
    saturday_night = sh(7, 22)
    major = deadlines("complaint", 3, [], saturday_night, cal)
    assert major.respond_by == sh(7, 23)  # wall clock
    assert major.resolve_by == sh(10, 18)  # 16 business hours from Monday 09:00
    emergency = deadlines("repair", 1, ["flooding"], saturday_night, cal)
    assert (emergency.respond_by, emergency.resolve_by) == (sh(7, 22, 30), sh(8, 22))


def test_non_complaints_ignore_the_level(cal: BusinessCalendar) -> None:
    assert deadlines("inquiry", 0, [], WED, cal) == deadlines("inquiry", 3, [], WED, cal)


@pytest.mark.parametrize(("kind", "level"), [("complaint", 0), ("complaint", 4), ("visit", 1)])
def test_no_rule_no_deadlines(cal: BusinessCalendar, kind: str, level: int) -> None:
    with pytest.raises(ValueError, match="no service level"):
        deadlines(kind, level, [], WED, cal)


def test_deadlines_come_back_in_the_zone_the_case_was_opened_in(cal: BusinessCalendar) -> None:
    opened = WED.astimezone(UTC)
    result = deadlines("complaint", 3, [], opened, cal)
    assert result.respond_by.tzinfo is UTC and result.resolve_by.tzinfo is UTC
    assert (result.respond_by, result.resolve_by) == (sh(4, 11), sh(6, 10))


def test_naive_opening_is_refused(cal: BusinessCalendar) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        deadlines("repair", 1, [], datetime(2026, 3, 4, 10), cal)


# ---- waiting on the owner ------------------------------------------------------------------------


def test_a_pause_extends_business_deadlines_by_business_time(cal: BusinessCalendar) -> None:
    result = deadlines("repair", 1, [], WED, cal, paused=[(sh(4, 10, 30), sh(4, 11))])
    assert result.respond_by == sh(4, 13, 30)  # 2.5 business hours, over lunch
    assert result.resolve_by == sh(9, 10, 30)


def test_a_pause_outside_working_hours_extends_business_deadlines_by_nothing(cal: BusinessCalendar) -> None:
    weekend = [(sh(7, 10), sh(8, 10))]
    assert deadlines("repair", 1, [], WED, cal, paused=weekend) == deadlines("repair", 1, [], WED, cal)


def test_a_pause_extends_wall_deadlines_by_wall_time(cal: BusinessCalendar) -> None:
    friday = sh(6, 10)
    result = deadlines("repair", 1, ["gas"], friday, cal, paused=[(sh(6, 11), sh(6, 13))])
    assert result.respond_by == sh(6, 10, 30)  # the pause began after the response was due
    assert result.resolve_by == sh(7, 12)


def test_a_pause_beginning_at_the_deadline_does_not_move_it(cal: BusinessCalendar) -> None:
    at_deadline = deadlines("repair", 1, ["gas"], WED, cal, paused=[(sh(4, 10, 30), sh(4, 11))])
    assert at_deadline.respond_by == sh(4, 10, 30)
    a_second_before = deadlines("repair", 1, ["gas"], WED, cal, paused=[(sh(4, 10, 29, 59), sh(4, 11))])
    assert a_second_before.respond_by == sh(4, 11, 0, 1)


def test_a_counted_pause_can_bring_a_later_one_in(cal: BusinessCalendar) -> None:
    pauses = [(sh(4, 10, 50), sh(4, 11)), (sh(4, 10, 10), sh(4, 10, 40))]  # any order
    # 10:30 + 30 min = 11:00, and the second pause (10:50) now begins before it: + 10 min
    assert deadlines("repair", 1, ["gas"], WED, cal, paused=pauses).respond_by == sh(4, 11, 10)


def test_overlapping_pauses_count_once(cal: BusinessCalendar) -> None:
    pauses = [(sh(4, 10, 10), sh(4, 10, 40)), (sh(4, 10, 20), sh(4, 10, 50))]
    assert deadlines("repair", 1, ["gas"], WED, cal, paused=pauses).respond_by == sh(4, 11, 10)


def test_only_pause_time_after_opening_counts(cal: BusinessCalendar) -> None:
    pauses = [(sh(4, 9), sh(4, 10, 20))]
    assert deadlines("repair", 1, ["gas"], WED, cal, paused=pauses).respond_by == sh(4, 10, 50)
    before = [(sh(4, 9), sh(4, 9, 30))]
    assert deadlines("repair", 1, ["gas"], WED, cal, paused=before).respond_by == sh(4, 10, 30)


def test_an_open_pause_lasts_until_now(cal: BusinessCalendar) -> None:
    open_pause = [(sh(4, 10, 10), None)]
    assert deadlines("repair", 1, ["gas"], WED, cal, paused=open_pause, now=sh(4, 10, 40)).respond_by == sh(4, 11)
    with pytest.raises(ValueError, match="give now"):
        deadlines("repair", 1, ["gas"], WED, cal, paused=open_pause)
    with pytest.raises(ValueError, match="ends before it starts"):
        deadlines("repair", 1, ["gas"], WED, cal, paused=open_pause, now=sh(4, 10))


def test_a_pause_ending_before_it_starts_is_refused(cal: BusinessCalendar) -> None:
    with pytest.raises(ValueError, match="ends before it starts"):
        deadlines("repair", 1, [], WED, cal, paused=[(sh(4, 11), sh(4, 10, 59, 59))])


# ---- overdue -------------------------------------------------------------------------------------


def test_is_overdue_only_after_the_deadline() -> None:
    deadline = sh(4, 12)
    assert not is_overdue(deadline, deadline - S)
    assert not is_overdue(deadline, deadline)
    assert is_overdue(deadline, deadline + S)
    assert is_overdue(deadline, deadline.astimezone(UTC) + S)
    with pytest.raises(ValueError, match="timezone-aware"):
        is_overdue(deadline, datetime(2026, 3, 4, 13))


# ---- data ----------------------------------------------------------------------------------------


def _shipped() -> dict[str, Any]:
    import tomllib
    from importlib import resources

    return tomllib.loads(resources.files("kefu_routing.domain").joinpath("sla.toml").read_text("utf-8"))


def test_shipped_table() -> None:
    table = default_sla_table()
    assert [r.id for r in table.rules] == [
        "repair.emergency", "repair", "complaint.level3", "complaint.level2", "complaint.level1",
        "inquiry", "suggestion", "praise",
    ]
    emergencies = {"gas", "fire", "electrocution", "flooding", "elevator_entrapment", "falling_object"}
    assert table.emergency_flags == emergencies


def _with(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(_shipped())
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["rule"].reverse(), "can never apply: rule repair comes first"),
        (lambda d: d["rule"].pop(2), "no rule gives a complaint at level 3"),
        (lambda d: d["rule"][1]["respond"].update(clock="lunar"), "unknown clock 'lunar'"),
        (lambda d: d["rule"][1]["respond"].update(hours=0), "longer than nothing"),
        (lambda d: d["rule"][1]["respond"].update(hours=-1), "not negative"),
        (lambda d: d["rule"][1]["respond"].update(hours=1.5), "whole numbers"),
        (lambda d: d["rule"][1]["respond"].update(days=1), "expected"),
        (lambda d: d["rule"][1].update(kind="visit"), "unknown kind 'visit'"),
        (lambda d: d["rule"][2].update(level=4), "level must be one of"),
        (lambda d: d["rule"][0].update(emergency="yes"), "true or false"),
        (lambda d: d["rule"][1].update(urgent=True), "unknown fields"),
        (lambda d: d["rule"][1].update(id="repair.emergency"), "its own id"),
        (lambda d: d["rule"][1]["resolve"].update(hours=1), "resolve .* is due before respond"),
        (lambda d: d.update(kinds=[]), "kinds must be"),
        (lambda d: d.update(emergency_flags=[""]), "emergency_flags"),
    ],
)
def test_parse_refuses_bad_tables(change: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_sla_table(_with(change))


def test_limits_may_be_given_in_seconds_for_drills_and_tests() -> None:
    from kefu_routing.domain.sla import _limit

    assert _limit({"clock": "wall", "seconds": 90}, "x").within == timedelta(seconds=90)
    with pytest.raises(ValueError, match="whole numbers"):
        _limit({"clock": "wall", "seconds": -1}, "x")
