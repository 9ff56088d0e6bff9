"""Report date ranges: [from, to] as whole days in Asia/Shanghai, both days included (the quality report, 质检报告).

``2026-11-01`` to ``2026-11-30`` is the instants from 1 November 00:00 to 1 December 00:00 in
Shanghai (exclusive), as aware UTC datetimes, the store's period query bounds. A range is at
most ``MAX_DAYS`` long so a period query stays bounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from .months import SHANGHAI

MAX_DAYS = 366


class DateRangeError(ValueError):
    """Dates that are not YYYY-MM-DD, a range that ends before it starts, or one too long."""


def _day(text: str, name: str) -> date:
    try:
        if not isinstance(text, str) or len(text.strip()) != 10:
            raise ValueError
        return date.fromisoformat(text.strip())
    except ValueError:
        raise DateRangeError(f"{name} must be a date YYYY-MM-DD (for example 2026-11-01), not {text!r}") from None


@dataclass(frozen=True)
class DateRange:
    first: date
    last: date  # included

    @classmethod
    def parse(cls, first: str, last: str) -> "DateRange":
        a, b = _day(first, "from"), _day(last, "to")
        if b < a:
            raise DateRangeError(f"to ({b}) is before from ({a})")
        if (b - a).days + 1 > MAX_DAYS:
            raise DateRangeError(f"a quality report covers at most {MAX_DAYS} days, not {(b - a).days + 1}")
        if a.year < 1971:
            raise DateRangeError(f"from must be in 1971 or later, not {first!r}")
        return cls(a, b)

    def __str__(self) -> str:
        return f"{self.first.isoformat()}..{self.last.isoformat()}"

    @property
    def start(self) -> datetime:
        return datetime(self.first.year, self.first.month, self.first.day, tzinfo=SHANGHAI).astimezone(timezone.utc)

    @property
    def end(self) -> datetime:
        """The first instant after the last day (exclusive), aware UTC."""
        day = self.last + timedelta(days=1)
        return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI).astimezone(timezone.utc)

    def contains(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= moment < self.end
