"""Report months: calendar months in Asia/Shanghai, as the customer service center counts them.

A case opened at 2026-10-31 17:30 UTC was opened on 1 November in Shanghai and belongs to
November's report. China Standard Time has kept UTC+8 without daylight saving since 1991, so a
fixed offset gives the same instants as the ``Asia/Shanghai`` zone for every date kefu sees,
without needing the tz database in a slim image.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class MonthError(ValueError):
    """A month that is not ``YYYY-MM`` (the message says what was expected)."""


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> "Month":
        """``'2026-11'`` -> Month(2026, 11); anything else raises ``MonthError`` with a clear message."""
        found = _MONTH.match(text.strip()) if isinstance(text, str) else None
        if not found:
            raise MonthError(f"month must be YYYY-MM (for example 2026-11), not {text!r}")
        year, month = int(found[1]), int(found[2])
        if not 1 <= month <= 12:
            raise MonthError(f"month must be YYYY-MM with MM from 01 to 12, not {text!r}")
        if year < 1971:
            raise MonthError(f"month must be in 1971 or later, not {text!r}")
        return cls(year, month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def previous(self) -> "Month":
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    def next(self) -> "Month":
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)

    @property
    def start(self) -> datetime:
        """The first instant of the month in Shanghai, as an aware UTC datetime."""
        return datetime(self.year, self.month, 1, tzinfo=SHANGHAI).astimezone(timezone.utc)

    @property
    def end(self) -> datetime:
        """The first instant after the month (exclusive bound), aware UTC."""
        return self.next().start

    def contains(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= moment < self.end


def as_utc(value: Any) -> datetime | None:
    """A stored instant as an aware UTC datetime.

    The store gives aware datetimes with ``tz_aware=True`` and naive UTC ones without it;
    JSON copies carry ISO strings. All three mean the same instant.
    """
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if not isinstance(value, datetime):
        raise TypeError(f"not a datetime: {value!r}")
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)
