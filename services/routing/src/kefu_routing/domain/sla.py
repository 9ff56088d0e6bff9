"""Deadlines of a case: by when it must be answered (respond) and solved (resolve).

The center promises response on time for 95% of cases (市场响应达标率95%) and
escalates a complaint whose deadline is missed, so every case gets its two
deadlines when it is opened, from the table in ``sla.toml``: per contact kind,
per complaint level, and tighter for a repair of an emergency.

Each deadline runs on its own clock: ``business`` time on the center's
calendar (nobody answers an ordinary repair on Sunday night) or ``wall`` time,
24x7, for what cannot wait (a gas smell, an owner stuck in a lift, a major
complaint).

Time spent waiting on the owner (an appointment the owner chose, documents
the owner must bring) is not the center's delay: each such pause extends a
deadline by the pause's length on that deadline's clock. A pause that begins
once a deadline has already passed does not move it: the case was late before
it waited.

A business deadline counted across a year whose public holidays the calendar
does not have is still given (on weekdays), but flagged: its ``reason`` says
so and ``missing_years`` names the years, for the caller to log and count.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any

from .calendar import BusinessCalendar, require_aware
from .complaints import LEVELS

CLOCKS = ("business", "wall")


@dataclass(frozen=True)
class Limit:
    within: timedelta
    clock: str  # "business" or "wall"

    def __post_init__(self) -> None:
        if self.clock not in CLOCKS:
            raise ValueError(f"unknown clock {self.clock!r}; use one of {', '.join(CLOCKS)}")
        if self.within <= timedelta(0):
            raise ValueError(f"a limit must be longer than nothing, got {self.within}")


@dataclass(frozen=True)
class SlaRule:
    id: str
    kind: str
    respond: Limit
    resolve: Limit
    level: int | None = None  # complaints: only this level; None: any level
    emergency: bool = False  # only cases with an emergency flag

    def matches(self, kind: str, level: int, emergency: bool) -> bool:
        return self.kind == kind and (self.level is None or self.level == level) and (emergency or not self.emergency)

    def shadows(self, later: SlaRule) -> bool:
        """Whether every case ``later`` matches is matched by this rule first."""
        return (
            self.kind == later.kind
            and (self.level is None or self.level == later.level)
            and (later.emergency or not self.emergency)
        )


@dataclass(frozen=True)
class SlaTable:
    rules: tuple[SlaRule, ...]
    emergency_flags: frozenset[str]

    def rule_for(self, kind: str, level: int, urgent_flags: Sequence[str]) -> SlaRule:
        emergency = not self.emergency_flags.isdisjoint(urgent_flags)
        for rule in self.rules:
            if rule.matches(kind, level, emergency):
                return rule
        raise ValueError(f"no service level for a {kind} at level {level}")


@dataclass(frozen=True)
class Deadlines:
    respond_by: datetime
    resolve_by: datetime
    rule: str  # the id of the SLA rule that set them
    # Years a business-clock deadline was counted across without their public holidays: counted
    # on weekdays only, so a Spring Festival there was taken for working days.
    missing_years: tuple[int, ...] = ()
    # How they were counted, for the case and its events (see ``sla_reason``): words derived from
    # the rule and the missing years, so not part of what makes two deadlines the same.
    reason: str = field(default="", compare=False)

    def stored(self) -> dict[str, Any]:
        """The form a case keeps under ``deadlines``."""
        return {"respond_by": self.respond_by, "resolve_by": self.resolve_by, "rule": self.rule,
                "reason": self.reason, "missing_years": list(self.missing_years)}


def sla_reason(rule: SlaRule, missing_years: Sequence[int]) -> str:
    """Why the deadlines are what they are, in words an agent can check; loud when a year had no holidays."""
    def limit(what: str, lim: Limit) -> str:
        clock = "business hours" if lim.clock == "business" else "wall-clock time"
        return f"{what} within {_amount(lim.within)} of {clock}"

    text = f"rule {rule.id}: {limit('respond', rule.respond)}, {limit('resolve', rule.resolve)}"
    if missing_years:
        years = ", ".join(str(y) for y in missing_years)
        text += (f"; WARNING: no public holiday data for {years}, counted on weekdays only "
                 f"(holidays and make-up days of {years} ignored)")
    return text


def _amount(span: timedelta) -> str:
    minutes = int(span.total_seconds()) // 60
    hours, minutes = divmod(minutes, 60)
    parts = [f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    return " ".join(p for p in parts if p) or f"{int(span.total_seconds())} s"


def deadlines(
    kind: str,
    level: int,
    urgent_flags: Sequence[str],
    opened_at: datetime,
    calendar: BusinessCalendar,
    paused: Sequence[tuple[datetime, datetime | None]] = (),
    now: datetime | None = None,
    table: SlaTable | None = None,
) -> Deadlines:
    """The deadlines of a case opened at ``opened_at``, in ``opened_at``'s zone.

    ``level`` is the complaint level (1-3); rules for other kinds ignore it.
    ``paused`` are the spans spent waiting on the owner; a span still open
    (``None`` end) lasts until ``now``, which it then requires. Spans may
    overlap and may begin before the case was opened: only time after the
    opening counts, once.
    """
    require_aware(opened_at, "opened_at")
    rule = (table or default_sla_table()).rule_for(kind, level, urgent_flags)
    pauses = _merged_pauses(paused, opened_at, now)
    respond_by = _deadline(rule.respond, opened_at, calendar, pauses)
    resolve_by = _deadline(rule.resolve, opened_at, calendar, pauses)
    missing: set[int] = set()
    for limit, due in ((rule.respond, respond_by), (rule.resolve, resolve_by)):
        if limit.clock == "business":
            missing.update(calendar.missing_years(opened_at, due))
    years = tuple(sorted(missing))
    return Deadlines(respond_by, resolve_by, rule.id, years, sla_reason(rule, years))


def is_overdue(deadline: datetime, now: datetime) -> bool:
    """Past the deadline; the deadline's own instant is still on time."""
    require_aware(deadline, "deadline")
    require_aware(now, "now")
    return now > deadline


def _deadline(
    limit: Limit, opened_at: datetime, calendar: BusinessCalendar, pauses: list[tuple[datetime, datetime]]
) -> datetime:
    def due(extra: timedelta) -> datetime:
        if limit.clock == "business":
            return calendar.add(opened_at, limit.within + extra)
        return (opened_at.astimezone(UTC) + limit.within + extra).astimezone(opened_at.tzinfo)

    extra = timedelta(0)
    deadline = due(extra)
    for start, end in pauses:  # in order: each counted pause can bring the next one in before the deadline
        if start >= deadline:
            break
        extra += calendar.between(start, end) if limit.clock == "business" else end - start
        deadline = due(extra)
    return deadline


def _merged_pauses(
    paused: Sequence[tuple[datetime, datetime | None]], opened_at: datetime, now: datetime | None
) -> list[tuple[datetime, datetime]]:
    """The pauses after ``opened_at``, open ones closed at ``now``, overlaps merged, in order."""
    spans = []
    for start, end in paused:
        require_aware(start, "pause start")
        if end is None:
            if now is None:
                raise ValueError(f"the pause since {start.isoformat()} is still open: give now")
            require_aware(now, "now")
            end = now
        require_aware(end, "pause end")
        if end < start:
            raise ValueError(f"pause {start.isoformat()} .. {end.isoformat()} ends before it starts")
        start = max(start, opened_at)
        if end > start:
            spans.append((start, end))
    spans.sort()
    merged: list[tuple[datetime, datetime]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _limit(value: Any, where: str) -> Limit:
    if not isinstance(value, dict) or not set(value) <= {"clock", "hours", "minutes", "seconds"}:
        raise ValueError(f"{where}: expected {{ clock = \"business\" | \"wall\", hours = H, minutes = M }}")
    amounts = [value.get("hours", 0), value.get("minutes", 0), value.get("seconds", 0)]
    if any(type(a) is not int or a < 0 for a in amounts):
        raise ValueError(f"{where}: hours, minutes and seconds must be whole numbers, not negative")
    try:
        return Limit(timedelta(hours=amounts[0], minutes=amounts[1], seconds=amounts[2]), value.get("clock", ""))
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def parse_sla_table(data: dict[str, Any]) -> SlaTable:
    kinds = data.get("kinds", [])
    if not kinds or not all(isinstance(k, str) and k for k in kinds):
        raise ValueError("kinds must be a non-empty list of contact kinds")
    rules: list[SlaRule] = []
    for r in data.get("rule", []):
        rid = r.get("id")
        if not isinstance(rid, str) or not rid or any(rule.id == rid for rule in rules):
            raise ValueError(f"every rule needs its own id, got {rid!r}")
        unknown = set(r) - {"id", "kind", "level", "emergency", "respond", "resolve"}
        if unknown:
            raise ValueError(f"rule {rid} has unknown fields {sorted(unknown)}")
        if r.get("kind") not in kinds:
            raise ValueError(f"rule {rid} names unknown kind {r.get('kind')!r}")
        level = r.get("level")
        if level is not None and (type(level) is not int or level not in LEVELS):
            raise ValueError(f"rule {rid}: level must be one of {LEVELS}")
        emergency = r.get("emergency", False)
        if type(emergency) is not bool:
            raise ValueError(f"rule {rid}: emergency must be true or false")
        respond = _limit(r.get("respond"), f"rule {rid} respond")
        resolve = _limit(r.get("resolve"), f"rule {rid} resolve")
        if respond.clock == resolve.clock and resolve.within < respond.within:
            raise ValueError(f"rule {rid}: resolve ({resolve.within}) is due before respond ({respond.within})")
        rule = SlaRule(rid, r["kind"], respond, resolve, level, emergency)
        for earlier in rules:
            if earlier.shadows(rule):
                raise ValueError(f"rule {rid} can never apply: rule {earlier.id} comes first and matches all its cases")
        rules.append(rule)
    flags = data.get("emergency_flags", [])
    if not all(isinstance(f, str) and f for f in flags):
        raise ValueError("emergency_flags must be a list of flag names")
    table = SlaTable(tuple(rules), frozenset(flags))
    for kind in kinds:
        for level in LEVELS:
            if not any(rule.matches(kind, level, emergency=False) for rule in rules):
                raise ValueError(f"no rule gives a {kind} at level {level} its deadlines")
    return table


@lru_cache(maxsize=1)
def default_sla_table() -> SlaTable:
    text = resources.files("kefu_routing.domain").joinpath("sla.toml").read_text(encoding="utf-8")
    return parse_sla_table(tomllib.loads(text))
