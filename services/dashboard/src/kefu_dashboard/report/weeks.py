"""Report weeks: ISO 8601 weeks (Monday to Sunday) in Asia/Shanghai, the weekly report's (周报) periods.

A ``Week`` offers what the monthly report reads of a ``Month`` (``start``, ``end``, ``previous``,
``contains``, ``str``), so ``build.build_report`` makes the weekly report with the monthly one's
figures and definitions; only the period differs. ISO years have 52 or 53 weeks: week 1 is the
week with the year's first Thursday, so 2026-W53 exists and 2025-W53 does not, and a week may
start in December of the year before (2026-W01 starts on Monday 29 December 2025).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from .months import SHANGHAI

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


class WeekError(ValueError):
    """A week that is not ``YYYY-Www`` or does not exist (the message says what was expected)."""


def weeks_in(year: int) -> int:
    """52 or 53: 28 December always falls in the year's last ISO week."""
    return date(year, 12, 28).isocalendar().week


@dataclass(frozen=True, order=True)
class Week:
    year: int
    week: int

    @classmethod
    def parse(cls, text: str) -> "Week":
        """``'2026-W48'`` -> Week(2026, 48); anything else raises ``WeekError`` with a clear message."""
        found = _WEEK.match(text.strip().upper()) if isinstance(text, str) else None
        if not found:
            raise WeekError(f"week must be an ISO week YYYY-Www (for example 2026-W48), not {text!r}")
        year, week = int(found[1]), int(found[2])
        if year < 1971:
            raise WeekError(f"week must be in 1971 or later, not {text!r}")
        if not 1 <= week <= weeks_in(year):
            raise WeekError(f"ISO year {year} has weeks W01 to W{weeks_in(year):02d}, not {text!r}")
        return cls(year, week)

    @classmethod
    def of(cls, day: date) -> "Week":
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    def __str__(self) -> str:
        return f"{self.year:04d}-W{self.week:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    def previous(self) -> "Week":
        return Week.of(self.monday - timedelta(days=7))

    def next(self) -> "Week":
        return Week.of(self.monday + timedelta(days=7))

    @property
    def start(self) -> datetime:
        """Monday 00:00 in Shanghai, as an aware UTC datetime."""
        m = self.monday
        return datetime(m.year, m.month, m.day, tzinfo=SHANGHAI).astimezone(timezone.utc)

    @property
    def end(self) -> datetime:
        """The next Monday 00:00 in Shanghai (exclusive bound), aware UTC."""
        return self.next().start

    def contains(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= moment < self.end
