from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from kefu_notifications.domain.quiet_hours import QuietHours, parse_quiet_hours, send_at

SH = ZoneInfo("Asia/Shanghai")
NIGHT = parse_quiet_hours("21:00-08:00", "Asia/Shanghai")


def sh(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, second, tzinfo=SH)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (sh(10, 20, 59, 59), sh(10, 20, 59, 59)),  # just before: at once
        (sh(10, 21), sh(11, 8)),  # start is quiet: next morning
        (sh(10, 23, 30), sh(11, 8)),  # evening: waits across midnight
        (sh(11, 0, 0), sh(11, 8)),  # midnight itself
        (sh(11, 7, 59, 59), sh(11, 8)),  # morning part: same day
        (sh(11, 8), sh(11, 8)),  # end is not quiet
        (sh(11, 12), sh(11, 12)),  # daytime: at once
    ],
)
def test_non_urgent_messages_wait_for_the_end_of_quiet_hours(now: datetime, expected: datetime) -> None:
    assert send_at(now, NIGHT, urgent=False) == expected


def test_urgent_messages_go_at_once_even_at_night() -> None:
    assert send_at(sh(10, 23), NIGHT, urgent=True) == sh(10, 23)


def test_no_quiet_hours_means_at_once() -> None:
    assert send_at(sh(10, 23), None, urgent=False) == sh(10, 23)


def test_the_answer_keeps_the_zone_of_now_and_quiet_hours_are_counted_in_their_own_zone() -> None:
    now = datetime(2026, 3, 10, 14, 30, tzinfo=timezone.utc)  # 22:30 in Shanghai
    result = send_at(now, NIGHT, urgent=False)
    assert result.tzinfo is timezone.utc
    assert result == datetime(2026, 3, 11, 0, 0, tzinfo=timezone.utc)  # 08:00 Shanghai
    daytime_utc = datetime(2026, 3, 10, 3, 0, tzinfo=timezone.utc)  # 11:00 in Shanghai, though 03:00 UTC
    assert send_at(daytime_utc, NIGHT, urgent=False) == daytime_utc


def test_quiet_hours_in_a_zone_with_daylight_saving_end_at_local_wall_time() -> None:
    berlin = parse_quiet_hours("22:00-07:00", "Europe/Berlin")
    # the night of the spring change (29 March 2026, 02:00 -> 03:00): 07:00 local is 05:00 UTC
    now = datetime(2026, 3, 28, 22, 30, tzinfo=timezone.utc)  # 23:30 CET
    assert send_at(now, berlin, urgent=False) == datetime(2026, 3, 29, 5, 0, tzinfo=timezone.utc)
    # a winter night: 07:00 CET is 06:00 UTC
    now = datetime(2026, 1, 15, 22, 30, tzinfo=timezone.utc)
    assert send_at(now, berlin, urgent=False) == datetime(2026, 1, 16, 6, 0, tzinfo=timezone.utc)


def test_a_window_within_one_day() -> None:
    lunch = parse_quiet_hours("12:00-13:30", "Asia/Shanghai")
    assert send_at(sh(10, 12, 15), lunch, urgent=False) == sh(10, 13, 30)
    assert send_at(sh(10, 13, 30), lunch, urgent=False) == sh(10, 13, 30)
    assert send_at(sh(10, 23), lunch, urgent=False) == sh(10, 23)


def test_windows_to_the_second_for_drills() -> None:
    q = parse_quiet_hours("10:00:00-10:00:05", "UTC")
    now = datetime(2026, 3, 10, 10, 0, 2, tzinfo=timezone.utc)
    assert send_at(now, q, urgent=False) == now + timedelta(seconds=3)


@pytest.mark.parametrize("bad", ["21:00", "25:00-08:00", "21:60-08:00", "9pm-8am", "08:00-08:00"])
def test_malformed_windows_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_quiet_hours(bad, "Asia/Shanghai")


def test_empty_window_means_none_and_unknown_zone_is_refused() -> None:
    assert parse_quiet_hours("", "Asia/Shanghai") is None
    with pytest.raises(ValueError, match="time zone"):
        parse_quiet_hours("21:00-08:00", "Mars/Olympus")


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError):
        send_at(datetime(2026, 3, 10, 23), QuietHours(time(21), time(8), SH), urgent=False)
