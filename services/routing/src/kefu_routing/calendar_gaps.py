"""Deadlines counted across a year the calendar has no public holidays for: logged and counted.

The domain still gives such a deadline (on weekdays) and says so in its
reason; this is where it becomes loud for operations: a warning per deadline
and ``kefu_calendar_year_missing_total{year}``, which an alert can watch from
the first case of December whose deadline runs into a year without its file.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

from kefu_kit.logging import get_logger

from .domain.sla import Deadlines

LOGGER = "kefu.routing.calendar"


class CalendarGaps:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.missing = Counter(
            "kefu_calendar_year_missing", "Deadlines counted across a year without public holiday data",
            ["year"], registry=registry or CollectorRegistry(),
        )

    def seen(self, due: Deadlines, case_id: str) -> Deadlines:
        """Report ``due`` when it was counted across a year without holidays; gives it back."""
        for year in due.missing_years:
            self.missing.labels(year=str(year)).inc()
        if due.missing_years:
            # a logger per warning (rare), not one cached at import: it follows the logging set up when it warns
            get_logger(LOGGER).warning(
                "calendar_year_missing", case_id=case_id, years=list(due.missing_years), rule=due.rule,
                respond_by=due.respond_by.isoformat(), resolve_by=due.resolve_by.isoformat())
        return due
