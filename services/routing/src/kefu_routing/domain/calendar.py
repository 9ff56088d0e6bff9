"""Business time: the hours the customer service center works, for deadlines that run on them.

A repair that must be answered within 2 business hours and arrives at 17:30 on
a Friday is due at 10:30 on Monday, not at 19:30 on Friday: nobody who could
answer it is at work. The calendar says when the center works (weekdays,
working intervals with a lunch break, public holidays and the weekend days
made working days by 调休) so that such deadlines can be counted.

The calendar keeps its own time zone: a time arriving in UTC or any other zone
is counted on the center's wall clock and returned in the zone it came in.
Durations are measured on the real (UTC) time line, so a zone with daylight
saving time counts the hours that really pass.

The working intervals and the dates are data (``calendar.toml``); the holidays
there must be renewed every year from the State Council's notice.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = date.weekday()
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def require_aware(moment: datetime, what: str) -> None:
    """Refuse a naive time: without a zone nobody can tell whose 09:00 it is."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got {moment.isoformat()}")


@dataclass(frozen=True)
class BusinessCalendar:
    tz: tzinfo
    weekdays: frozenset[int]  # date.weekday() numbers, 0 = Monday
    hours: tuple[tuple[time, time], ...]  # working intervals of a working day, start included, end not
    holidays: frozenset[date] = frozenset()  # days off that would otherwise be working days
    working_days: frozenset[date] = frozenset()  # 调休: days that would otherwise be off

    def __post_init__(self) -> None:
        if not self.weekdays or not self.weekdays <= set(range(7)):
            raise ValueError("weekdays must be a non-empty set of numbers 0 (Monday) to 6 (Sunday)")
        if not self.hours:
            raise ValueError("a working day needs at least one working interval")
        previous_end: time | None = None
        for start, end in self.hours:
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("working hours are wall-clock times without a zone; the calendar has the zone")
            if start >= end:
                raise ValueError(f"working interval {start:%H:%M}-{end:%H:%M} ends before it starts")
            if previous_end is not None and start < previous_end:
                raise ValueError(f"working interval {start:%H:%M}-{end:%H:%M} overlaps or precedes the one before")
            previous_end = end
        both = self.holidays & self.working_days
        if both:
            raise ValueError(f"{min(both)} is both a holiday and a make-up working day")
        ordinary = sorted(d for d in self.working_days if d.weekday() in self.weekdays)
        if ordinary:
            raise ValueError(f"make-up working day {ordinary[0]} is already an ordinary working day")

    def is_working_day(self, day: date) -> bool:
        if day in self.working_days:
            return True
        return day.weekday() in self.weekdays and day not in self.holidays

    def is_open(self, moment: datetime) -> bool:
        """Whether ``moment`` falls inside working hours on the center's clock."""
        require_aware(moment, "moment")
        local = moment.astimezone(self.tz)
        clock = local.time().replace(tzinfo=None)
        return self.is_working_day(local.date()) and any(start <= clock < end for start, end in self.hours)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The moment ``duration`` of business time after ``start``, in ``start``'s zone.

        A start outside working hours counts from the next opening, so adding
        nothing to it gives that opening. A duration that uses up a working
        interval exactly ends at its closing time (due "by 18:00"), not at the
        next opening.
        """
        require_aware(start, "start")
        if duration < timedelta(0):
            raise ValueError(f"business time to add must not be negative, got {duration}")
        remaining = duration
        intervals = self._intervals_from(start)
        while True:
            opens, closes = next(intervals)
            if remaining <= closes - opens:
                return (opens + remaining).astimezone(start.tzinfo)
            remaining -= closes - opens

    def between(self, a: datetime, b: datetime) -> timedelta:
        """Business time from ``a`` to ``b``; negative when ``b`` comes before ``a``."""
        require_aware(a, "a")
        require_aware(b, "b")
        if b < a:
            return -self.between(b, a)
        total = timedelta(0)
        for opens, closes in self._intervals_from(a):
            if opens >= b:
                break
            total += min(closes, b) - opens
        return total

    def _intervals_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The working intervals at or after ``moment`` (the first cut to start there), in UTC, forever."""
        moment = moment.astimezone(UTC)
        day = moment.astimezone(self.tz).date()
        while True:
            if self.is_working_day(day):
                for start, end in self.hours:
                    opens = datetime.combine(day, start, self.tz).astimezone(UTC)
                    closes = datetime.combine(day, end, self.tz).astimezone(UTC)
                    if closes > moment:
                        yield max(opens, moment), closes
            day += timedelta(days=1)


def _hhmm(value: Any, where: str) -> time:
    match = _HHMM.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"{where}: expected a time as \"HH:MM\", got {value!r}")
    return time(int(match[1]), int(match[2]))


def _date(value: Any, where: str) -> date:
    if type(value) is not date:  # a TOML date-time is a datetime, which is a date too: refuse it
        raise ValueError(f"{where}: expected a date (YYYY-MM-DD), got {value!r}")
    return value


def parse_calendar(data: dict[str, Any]) -> BusinessCalendar:
    name = data.get("timezone", "Asia/Shanghai")
    try:
        tz = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError(f"unknown timezone {name!r}") from exc

    weekdays = set()
    for day in data.get("weekdays", WEEKDAYS[:5]):
        if day not in WEEKDAYS:
            raise ValueError(f"unknown weekday {day!r}; use one of {', '.join(WEEKDAYS)}")
        weekdays.add(WEEKDAYS.index(day))

    hours = tuple(
        (_hhmm(h.get("from"), "hours.from"), _hhmm(h.get("to"), "hours.to")) for h in data.get("hours", [])
    )

    holidays: set[date] = set()
    for h in data.get("holidays", []):
        where = f"holiday {h.get('name', '?')}"
        first, last = _date(h.get("from"), f"{where} from"), _date(h.get("to"), f"{where} to")
        if last < first:
            raise ValueError(f"{where} ends ({last}) before it starts ({first})")
        holidays.update(first + timedelta(days=n) for n in range((last - first).days + 1))

    working_days = {_date(w.get("date"), f"working day {w.get('name', '?')}") for w in data.get("working_days", [])}
    return BusinessCalendar(tz, frozenset(weekdays), hours, frozenset(holidays), frozenset(working_days))


@lru_cache(maxsize=1)
def default_calendar() -> BusinessCalendar:
    text = resources.files("kefu_routing.domain").joinpath("calendar.toml").read_text(encoding="utf-8")
    return parse_calendar(tomllib.loads(text))
