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

The working intervals are data (``calendar.toml``); the public holidays and
make-up days come as one file per year (``holidays/<year>.toml``), generated
from the ``chinesecalendar`` package's copy of the State Council's notice by
``scripts/calendar_year.py`` and reviewed like any other change. A year
without its file is not silently an ordinary year: the calendar knows which
years it has (``years``) and ``missing_years`` names the others a span
touches, so a deadline counted across one can say it was counted on weekdays
only (see ``sla.deadlines``).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
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
    # The years whose public holidays are known; None for a calendar that keeps no holidays by year
    # (one built in code), for which no year is missing.
    years: frozenset[int] | None = None

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

    def missing_years(self, a: datetime, b: datetime) -> tuple[int, ...]:
        """The years from ``a`` to ``b`` (on the center's clock) without holiday data, in order.

        A deadline counted across such a year treats it as ordinary weeks: its
        Spring Festival would be counted as working days.
        """
        require_aware(a, "a")
        require_aware(b, "b")
        if self.years is None:
            return ()
        first, last = sorted((a.astimezone(self.tz).year, b.astimezone(self.tz).year))
        return tuple(y for y in range(first, last + 1) if y not in self.years)

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


def parse_calendar(data: dict[str, Any], years: Iterable[dict[str, Any]] = ()) -> BusinessCalendar:
    """The calendar of ``data`` (a ``calendar.toml``) with the public holidays of ``years`` (year files).

    Holidays given in ``data`` itself are the center's own extra days; only
    year files make a year known.
    """
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

    holidays = _holidays(data, "")
    working_days = _working_days(data, "")
    known: set[int] = set()
    for year_data in years:
        year, year_holidays, year_working = parse_year(year_data)
        if year in known:
            raise ValueError(f"holidays of {year} are given twice")
        known.add(year)
        holidays |= year_holidays
        working_days |= year_working
    return BusinessCalendar(tz, frozenset(weekdays), hours, frozenset(holidays), frozenset(working_days),
                            frozenset(known))


def _holidays(data: dict[str, Any], where: str) -> set[date]:
    days: set[date] = set()
    for h in data.get("holidays", []):
        name = f"{where}holiday {h.get('name', '?')}"
        first, last = _date(h.get("from"), f"{name} from"), _date(h.get("to"), f"{name} to")
        if last < first:
            raise ValueError(f"{name} ends ({last}) before it starts ({first})")
        days.update(first + timedelta(days=n) for n in range((last - first).days + 1))
    return days


def _working_days(data: dict[str, Any], where: str) -> set[date]:
    return {_date(w.get("date"), f"{where}working day {w.get('name', '?')}") for w in data.get("working_days", [])}


def parse_year(data: dict[str, Any]) -> tuple[int, frozenset[date], frozenset[date]]:
    """One year's public holidays and make-up days (a ``holidays/<year>.toml``), checked.

    Every date must belong to the year, except the last days of December
    before it: a notice's New Year holiday or make-up day may fall there.
    """
    year = data.get("year")
    if type(year) is not int or not 1949 < year < 10000:
        raise ValueError(f"a year's holiday file needs its year, got {year!r}")
    unknown = set(data) - {"year", "source", "holidays", "working_days"}
    if unknown:
        raise ValueError(f"holidays of {year}: unknown fields {sorted(unknown)}")
    where = f"{year} "
    holidays, working_days = _holidays(data, where), _working_days(data, where)
    if not holidays:
        raise ValueError(f"holidays of {year}: no holiday given")
    earliest = date(year - 1, 12, 25)
    stray = sorted(d for d in holidays | working_days if not earliest <= d <= date(year, 12, 31))
    if stray:
        raise ValueError(f"holidays of {year}: {stray[0]} is not in {year}")
    both = holidays & working_days
    if both:
        raise ValueError(f"{min(both)} is both a holiday and a make-up working day")
    return year, frozenset(holidays), frozenset(working_days)


def _year_files(folder: Traversable) -> list[dict[str, Any]]:
    """The parsed ``<year>.toml`` files of ``folder``, each checked to be the year its name says."""
    years = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        data = tomllib.loads(entry.read_text(encoding="utf-8"))
        if str(data.get("year")) != entry.name.removesuffix(".toml"):
            raise ValueError(f"{entry.name} holds the holidays of {data.get('year')!r}")
        years.append(data)
    return years


def shipped_years() -> Traversable:
    return resources.files("kefu_routing.domain").joinpath("holidays")


def load_calendar(calendar_file: Path | None = None, years_dir: Path | None = None) -> BusinessCalendar:
    """The calendar of ``calendar_file`` (or the shipped one) with the year files of ``years_dir`` (or shipped)."""
    text = (calendar_file.read_text(encoding="utf-8") if calendar_file
            else resources.files("kefu_routing.domain").joinpath("calendar.toml").read_text(encoding="utf-8"))
    return parse_calendar(tomllib.loads(text), _year_files(years_dir or shipped_years()))


@lru_cache(maxsize=1)
def default_calendar() -> BusinessCalendar:
    return load_calendar()
