from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from kefu_routing.domain.calendar import BusinessCalendar, default_calendar, parse_calendar

SH = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)
S = timedelta(seconds=1)


def sh(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=SH)


@pytest.fixture
def cal() -> BusinessCalendar:
    return default_calendar()


# ---- is_open -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "open_"),
    [
        (sh(2026, 3, 4, 8, 59, 59), False),  # Wednesday, before opening
        (sh(2026, 3, 4, 9), True),  # opening is working time
        (sh(2026, 3, 4, 11, 59, 59), True),
        (sh(2026, 3, 4, 12), False),  # lunch break
        (sh(2026, 3, 4, 12, 59, 59), False),
        (sh(2026, 3, 4, 13), True),
        (sh(2026, 3, 4, 17, 59, 59), True),
        (sh(2026, 3, 4, 18), False),  # closing time is not working time
        (sh(2026, 3, 7, 10), False),  # Saturday
        (sh(2026, 3, 8, 10), False),  # Sunday
        (sh(2026, 10, 1, 10), False),  # National Day, a Thursday
        (sh(2026, 10, 7, 10), False),  # last day of the National Day holiday, a Wednesday
        (sh(2026, 10, 8, 10), True),  # back to work
        (sh(2026, 10, 10, 10), True),  # 调休 Saturday
        (sh(2026, 9, 20, 10), True),  # 调休 Sunday
        (sh(2026, 1, 4, 10), True),  # 调休 Sunday after New Year
        (sh(2026, 2, 14, 10), True),  # 调休 Saturday before the Spring Festival
        (sh(2026, 2, 23, 10), False),  # Spring Festival Monday
        (sh(2026, 2, 24, 10), True),
    ],
)
def test_is_open(cal: BusinessCalendar, moment: datetime, open_: bool) -> None:
    assert cal.is_open(moment) is open_


def test_is_open_counts_on_the_centers_clock_whatever_the_input_zone(cal: BusinessCalendar) -> None:
    assert cal.is_open(datetime(2026, 3, 4, 1, 0, tzinfo=UTC))  # 09:00 in Shanghai
    assert not cal.is_open(datetime(2026, 3, 4, 0, 59, 59, tzinfo=UTC))  # 08:59:59
    assert not cal.is_open(datetime(2026, 3, 4, 10, 0, tzinfo=UTC))  # 18:00


# ---- add -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "due"),
    [
        (sh(2026, 3, 4, 10), 2 * H, sh(2026, 3, 4, 12)),  # ends exactly at lunch: due by 12:00
        (sh(2026, 3, 4, 10), 2 * H + S, sh(2026, 3, 4, 13, 0, 1)),  # one second more goes past lunch
        (sh(2026, 3, 4, 11, 30), H, sh(2026, 3, 4, 13, 30)),  # lunch break is skipped
        (sh(2026, 3, 4, 17), H, sh(2026, 3, 4, 18)),  # due at closing, not the next morning
        (sh(2026, 3, 4, 17), H + S, sh(2026, 3, 5, 9, 0, 1)),
        (sh(2026, 3, 6, 17, 30), 2 * H, sh(2026, 3, 9, 10, 30)),  # Friday evening to Monday
        (sh(2026, 3, 4, 9), 8 * H, sh(2026, 3, 4, 18)),  # a business day is 8 hours
        (sh(2026, 3, 4, 9), 24 * H, sh(2026, 3, 6, 18)),  # three business days
        (sh(2026, 3, 4, 7), H, sh(2026, 3, 4, 10)),  # before opening: counted from 09:00
        (sh(2026, 3, 4, 12, 30), H, sh(2026, 3, 4, 14)),  # in the lunch break: counted from 13:00
        (sh(2026, 3, 7, 10), H, sh(2026, 3, 9, 10)),  # Saturday: counted from Monday
        (sh(2026, 9, 30, 17), 2 * H, sh(2026, 10, 8, 10)),  # over the National Day holiday
        (sh(2026, 10, 9, 17), 2 * H, sh(2026, 10, 10, 10)),  # into the 调休 Saturday
        (sh(2026, 9, 18, 17), 2 * H, sh(2026, 9, 20, 10)),  # Friday to the 调休 Sunday
        (sh(2026, 2, 13, 17), 2 * H, sh(2026, 2, 14, 10)),  # Friday to the 调休 Saturday
        (sh(2026, 2, 14, 17), 2 * H, sh(2026, 2, 24, 10)),  # over the Spring Festival
        (sh(2025, 12, 31, 17), 2 * H, sh(2026, 1, 4, 10)),  # over New Year to the 调休 Sunday
    ],
)
def test_add(cal: BusinessCalendar, start: datetime, duration: timedelta, due: datetime) -> None:
    assert cal.add(start, duration) == due


@pytest.mark.parametrize(
    ("start", "opening"),
    [
        (sh(2026, 3, 4, 18), sh(2026, 3, 5, 9)),
        (sh(2026, 3, 4, 12), sh(2026, 3, 4, 13)),
        (sh(2026, 3, 6, 18), sh(2026, 3, 9, 9)),
        (sh(2026, 4, 3, 18), sh(2026, 4, 7, 9)),  # Qingming Monday is off
    ],
)
def test_adding_nothing_outside_hours_gives_the_next_opening(
    cal: BusinessCalendar, start: datetime, opening: datetime
) -> None:
    assert cal.add(start, timedelta(0)) == opening


def test_adding_nothing_inside_hours_gives_the_start(cal: BusinessCalendar) -> None:
    assert cal.add(sh(2026, 3, 4, 10, 15), timedelta(0)) == sh(2026, 3, 4, 10, 15)


def test_add_returns_the_zone_it_was_given(cal: BusinessCalendar) -> None:
    start = datetime(2026, 3, 6, 9, 30, tzinfo=UTC)  # Friday 17:30 in Shanghai
    due = cal.add(start, 2 * H)
    assert due.tzinfo is UTC
    assert due == datetime(2026, 3, 9, 2, 30, tzinfo=UTC)  # Monday 10:30 in Shanghai


def test_add_refuses_naive_times_and_negative_durations(cal: BusinessCalendar) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.add(datetime(2026, 3, 4, 10), H)
    with pytest.raises(ValueError, match="negative"):
        cal.add(sh(2026, 3, 4, 10), -S)


# ---- between -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "business"),
    [
        (sh(2026, 3, 4, 10), sh(2026, 3, 4, 10), timedelta(0)),
        (sh(2026, 3, 4, 11), sh(2026, 3, 4, 14), 2 * H),  # lunch not counted
        (sh(2026, 3, 4, 12), sh(2026, 3, 4, 13), timedelta(0)),
        (sh(2026, 3, 4, 17, 59, 59), sh(2026, 3, 5, 9, 0, 1), 2 * S),
        (sh(2026, 3, 6, 17), sh(2026, 3, 9, 10), 2 * H),  # weekend not counted
        (sh(2026, 9, 30, 9), sh(2026, 10, 8, 18), 16 * H),  # a holiday week between two working days
        (sh(2026, 10, 9, 9), sh(2026, 10, 11, 9), 16 * H),  # Friday and the 调休 Saturday
        (sh(2026, 3, 7, 0), sh(2026, 3, 8, 23, 59, 59), timedelta(0)),
    ],
)
def test_between(cal: BusinessCalendar, a: datetime, b: datetime, business: timedelta) -> None:
    assert cal.between(a, b) == business
    assert cal.between(b, a) == -business


def test_between_mixed_zones(cal: BusinessCalendar) -> None:
    assert cal.between(datetime(2026, 3, 4, 1, tzinfo=UTC), sh(2026, 3, 4, 10)) == H


@pytest.mark.parametrize("start", [sh(2026, 3, 4, 9), sh(2026, 3, 4, 11, 17, 3), sh(2026, 9, 30, 16, 45)])
@pytest.mark.parametrize("duration", [S, 30 * timedelta(minutes=1), 3 * H, 8 * H, 40 * H])
def test_between_measures_what_add_added(cal: BusinessCalendar, start: datetime, duration: timedelta) -> None:
    assert cal.between(start, cal.add(start, duration)) == duration


# ---- other zones ---------------------------------------------------------------------------------


def test_a_calendar_in_another_zone_counts_on_its_own_clock() -> None:
    ny = ZoneInfo("America/New_York")
    cal = BusinessCalendar(ny, frozenset(range(5)), ((time(9), time(17)),))
    start = datetime(2026, 3, 4, 21, 0, tzinfo=UTC)  # 16:00 in New York
    assert cal.add(start, 2 * H) == datetime(2026, 3, 5, 15, 0, tzinfo=UTC)  # 10:00 next day


def test_durations_are_real_time_across_a_daylight_saving_change() -> None:
    berlin = ZoneInfo("Europe/Berlin")  # 2026-03-29 02:00 becomes 03:00
    cal = BusinessCalendar(berlin, frozenset({6}), ((time(0), time(6)),))
    day_start = datetime(2026, 3, 29, 0, 0, tzinfo=berlin)
    assert cal.between(day_start, datetime(2026, 3, 29, 6, 0, tzinfo=berlin)) == 5 * H
    assert cal.add(day_start, 5 * H) == datetime(2026, 3, 29, 6, 0, tzinfo=berlin)
    # from inside the interval too: 01:00 CET plus two real hours is 04:00 CEST
    assert cal.add(datetime(2026, 3, 29, 1, 0, tzinfo=berlin), 2 * H) == datetime(2026, 3, 29, 4, 0, tzinfo=berlin)


# ---- data ----------------------------------------------------------------------------------------

VALID = {
    "timezone": "Asia/Shanghai",
    "weekdays": ["mon", "tue", "wed", "thu", "fri"],
    "hours": [{"from": "09:00", "to": "12:00"}, {"from": "13:00", "to": "18:00"}],
}


def test_shipped_calendar() -> None:
    cal = default_calendar()
    assert cal.tz == SH
    assert cal.weekdays == frozenset(range(5))
    assert cal.hours == ((time(9), time(12)), (time(13), time(18)))
    assert cal.working_days == {
        date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9), date(2026, 9, 20), date(2026, 10, 10)
    }
    # weekdays off in 2026: New Year 2, Spring Festival 6, Qingming 1, Labour Day 3,
    # Dragon Boat 1, Mid-Autumn 1, National Day 5
    assert sum(1 for d in cal.holidays if d.weekday() < 5) == 19


def test_parse_calendar_reads_ranges_and_make_up_days() -> None:
    cal = parse_calendar(
        VALID
        | {
            "holidays": [{"name": "x", "from": date(2026, 5, 1), "to": date(2026, 5, 5)}],
            "working_days": [{"name": "y", "date": date(2026, 5, 9)}],
        }
    )
    assert cal.holidays == {date(2026, 5, d) for d in range(1, 6)}
    assert cal.working_days == {date(2026, 5, 9)}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "unknown timezone"),
        ({"weekdays": ["monday"]}, "unknown weekday"),
        ({"weekdays": []}, "weekdays must be"),
        ({"hours": []}, "at least one working interval"),
        ({"hours": [{"from": "9:00", "to": "12:00"}]}, "HH:MM"),
        ({"hours": [{"from": "09:00", "to": "24:00"}]}, "HH:MM"),
        ({"hours": [{"from": "12:00", "to": "09:00"}]}, "ends before it starts"),
        ({"hours": [{"from": "09:00", "to": "09:00"}]}, "ends before it starts"),
        ({"hours": [{"from": "09:00", "to": "13:00"}, {"from": "12:00", "to": "18:00"}]}, "overlaps"),
        ({"hours": [{"from": "13:00", "to": "18:00"}, {"from": "09:00", "to": "12:00"}]}, "overlaps or precedes"),
        ({"holidays": [{"name": "x", "from": date(2026, 5, 5), "to": date(2026, 5, 1)}]}, "ends"),
        ({"holidays": [{"name": "x", "from": "2026-05-01", "to": date(2026, 5, 1)}]}, "expected a date"),
        ({"holidays": [{"name": "x", "from": datetime(2026, 5, 1), "to": date(2026, 5, 1)}]}, "expected a date"),
        ({"working_days": [{"name": "y", "date": date(2026, 5, 6)}]}, "already an ordinary working day"),
        (
            {
                "holidays": [{"name": "x", "from": date(2026, 5, 9), "to": date(2026, 5, 9)}],
                "working_days": [{"name": "y", "date": date(2026, 5, 9)}],
            },
            "both a holiday and a make-up working day",
        ),
    ],
)
def test_parse_calendar_refuses_bad_data(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_calendar(VALID | change)
