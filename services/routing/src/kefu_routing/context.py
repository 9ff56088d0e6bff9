"""What routing's use cases need, gathered once by the composition root."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from .adapters.store import CaseRepository, DefectSignals, GroupRepository, RecentReports, TimerStore, VipStore
from .calendar_gaps import CalendarGaps
from .domain.assignment import RuleTable, default_rules
from .domain.calendar import BusinessCalendar, default_calendar
from .domain.complaints import ComplaintPolicy, GroupPolicy, default_complaint_policy
from .domain.groups import GroupRule, default_group_rule
from .domain.sla import Deadlines, SlaTable, deadlines, default_sla_table
from .domain.warranty import WarrantyPolicy, default_warranty_policy
from .domain.workload import choose_assignee, default_roster

if TYPE_CHECKING:
    from .parking import Parking

RECOUNT_SHARE = 50  # a department's recount waits at least 50 times as long as the last one took


@dataclass
class Workload:
    """Open cases per person, counted from the store now and then and kept current in between.

    With several routing instances each keeps its own counts, recounted every
    ``workload_refresh_s``: assignment by load is exact with one instance and
    close with several, which is what balancing needs.
    """

    roster: dict[str, tuple[str, ...]] = field(default_factory=default_roster)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    last: dict[str, str] = field(default_factory=dict)
    counted_at: dict[str, datetime] = field(default_factory=dict)
    cost_s: dict[str, float] = field(default_factory=dict)  # how long the department's last recount took
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    def stale(self, department: str, now: datetime, refresh: timedelta) -> bool:
        """Due for a recount: never counted, or counted longer ago than ``refresh`` and than
        ``RECOUNT_SHARE`` times the last recount's own duration.

        The recount reads the department's open backlog; when that is large (a burst nobody has
        worked off yet) a fixed interval would spend ever more of the store on it, so the interval
        stretches with the recount's cost: recounting takes at most 1/RECOUNT_SHARE of the time.
        """
        counted = self.counted_at.get(department)
        if counted is None:
            return True
        return now - counted > max(refresh, timedelta(seconds=self.cost_s.get(department, 0.0) * RECOUNT_SHARE))

    def lock(self, department: str) -> asyncio.Lock:
        """One recount of a department at a time: a batch's cases are decided at once and would all recount."""
        return self._locks.setdefault(department, asyncio.Lock())

    def pick(self, department: str) -> str | None:
        people = self.roster.get(department, ())
        if not people:
            return None
        counts = self.counts.setdefault(department, {})
        person = choose_assignee(people, counts, self.last.get(department))
        counts[person] = counts.get(person, 0) + 1
        self.last[department] = person
        return person

    def released(self, department: str, person: str | None) -> None:
        if person and self.counts.get(department, {}).get(person, 0) > 0:
            self.counts[department][person] -= 1


@dataclass
class Routing:
    cases: CaseRepository
    groups: GroupRepository
    timers: TimerStore
    vips: VipStore
    reports: RecentReports
    rules: RuleTable = field(default_factory=default_rules)
    calendar: BusinessCalendar = field(default_factory=default_calendar)
    sla: SlaTable = field(default_factory=default_sla_table)
    warranty: WarrantyPolicy = field(default_factory=default_warranty_policy)
    complaints: ComplaintPolicy = field(default_factory=default_complaint_policy)
    group_policy: GroupPolicy = field(default_factory=GroupPolicy)
    group_kinds: tuple[str, ...] = ("complaint", "repair")
    group_rule: GroupRule = field(default_factory=default_group_rule)  # which repairs count; batch defects
    repeat_window: timedelta = timedelta(days=30)
    workload: Workload = field(default_factory=Workload)
    workload_refresh: timedelta = timedelta(seconds=30)
    calendar_gaps: CalendarGaps = field(default_factory=CalendarGaps)
    # events that came before their case (``parking``); None: not held (tools that only open cases)
    parking: "Parking | None" = None
    # batch-defect signals for engineering; None: not signalled (tools that only open cases)
    signals: DefectSignals | None = None

    def deadlines(
        self, case_id: str, kind: str, level: int, urgent_flags: Sequence[str], opened_at: datetime,
        paused: Sequence[tuple[datetime, datetime | None]] = (), now: datetime | None = None,
    ) -> Deadlines:
        """A case's deadlines on this routing's calendar and table; one counted across a year without
        public holidays is logged and counted (the domain only flags it)."""
        due = deadlines(kind, level, urgent_flags, opened_at, self.calendar, paused=paused, now=now, table=self.sla)
        return self.calendar_gaps.seen(due, case_id)

    async def assignee_for(self, department: str, now: datetime) -> str | None:
        w = self.workload
        if w.stale(department, now, self.workload_refresh):
            async with w.lock(department):
                if w.stale(department, now, self.workload_refresh):  # not recounted while this one waited
                    started = time.monotonic()
                    w.counts[department] = await self.cases.open_counts(department)
                    w.counted_at[department], w.cost_s[department] = now, time.monotonic() - started
        return w.pick(department)
