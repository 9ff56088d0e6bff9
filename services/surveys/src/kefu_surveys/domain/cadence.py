"""How often a project's owners must be surveyed: at least every half year (每半年至少进行一次客户意见调查)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

HALF_YEAR = timedelta(days=182)


def next_survey_due(started: Iterable[datetime], now: datetime, period: timedelta = HALF_YEAR) -> dict[str, object]:
    """When the project's next campaign must start, and whether it is overdue (never surveyed: due now)."""
    last = max(started, default=None)
    due_by = now if last is None else last + period
    return {"last_started_at": last, "next_due_by": due_by, "overdue": last is None or due_by < now}
