"""The monthly complaint report (投诉月报): pure computation from the dashboard's read model.

Input: the ``cases`` and ``answers`` documents of the dashboard store (shape in the service's
README / issue 5); output: a ``MonthlyReport`` whose figures the CSV, HTML, JSON and charts render.
Definitions (months are calendar months in Asia/Shanghai; "M" is the report's month):

* cases of M: ``opened_at`` in M; counted by kind, category (repairs and complaints that have
  one), complaint level (complaints only; the highest level reached, 0 = not levelled yet),
  channel, project and department;
* on-time response rate: among cases of M with a ``respond_by`` that were responded to, or whose
  ``respond_by`` has passed at report time (``now``), the share with ``responded_at <= respond_by``;
  cases still inside their deadline are not judged yet;
* timely resolution rate: the same with ``resolved_at`` / ``resolve_by`` (a reopened case has no
  ``resolved_at`` until it is resolved again);
* major complaints: distinct cases escalated to level 3 at an instant in M, whenever opened; the
  members of a group complaint count once (keyed by their ``group_id``);
* satisfaction rate: answers with a CSAT answered in M, share with CSAT >= 4;
* NPS: answers with an NPS score answered in M, % promoters (9-10) minus % detractors (0-6),
  rounded to an integer (halves away from zero);
* every figure for the previous month too; a rate without a denominator is ``None`` ("n/a").

The weekly report (周报) is the same computation over an ISO week (``weeks.Week``, Monday to
Sunday in Asia/Shanghai) and the week before it: "month" above reads "period", and the report's
``period`` is "week".

With a project, only that project's cases and answers count (an answer without a project takes
its case's project when the case is among the documents).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .labels import name_label, ordered, period_label
from .months import Month, as_utc
from .weeks import Week
from .targets import Rules, Scores, Target, default_rules

Doc = Mapping[str, Any]

DIMENSIONS = ("kind", "category", "level", "channel", "project", "department")
_CATEGORISED_KINDS = frozenset({"repair", "complaint"})
_MISSING = {"channel": "unknown", "project": "unknown", "department": "unassigned"}


@dataclass(frozen=True)
class Figure:
    """One number of the report, this month and the month before.

    ``unit``: "count"; "share" (a fraction 0..1, shown as a percentage; ``change`` is then in
    fractions too, i.e. percentage points / 100); "score" (NPS points). ``numerator`` and
    ``denominator`` say what a share or score was computed from.
    """

    section: str
    name: str
    unit: str
    value: float | None
    previous: float | None
    numerator: int | None = None
    denominator: int | None = None
    previous_numerator: int | None = None
    previous_denominator: int | None = None
    target: Target | None = None

    @property
    def label(self) -> str:
        return name_label(self.section, self.name)

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def met(self) -> bool | None:
        return self.target.met(self.value) if self.target else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "section": self.section, "name": self.name, "label": self.label, "unit": self.unit,
            "value": self.value, "previous": self.previous, "change": self.change,
            "numerator": self.numerator, "denominator": self.denominator,
            "previous_numerator": self.previous_numerator, "previous_denominator": self.previous_denominator,
            "target": None if self.target is None else {"op": self.target.op, "threshold": self.target.threshold,
                                                        "source": self.target.source},
            "met": self.met,
        }


@dataclass(frozen=True)
class MajorComplaint:
    """A major complaint (重大投诉) of the month: one case, or one group complaint."""

    case_id: str
    group_id: str | None
    at: datetime
    reason: str | None
    project: str | None
    department: str | None
    summary: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "group_id": self.group_id, "at": self.at.isoformat(),
                "reason": self.reason, "project": self.project, "department": self.department,
                "summary": self.summary}


@dataclass(frozen=True)
class MonthlyReport:
    month: str
    previous_month: str
    project: str | None
    generated_at: datetime
    figures: tuple[Figure, ...]
    major_complaints: tuple[MajorComplaint, ...] = field(default=())
    timezone: str = "Asia/Shanghai"
    period: str = "month"  # "month" (投诉月报) or "week" (周报); ``month`` then holds the week, 2026-W48

    def figure(self, section: str, name: str) -> Figure | None:
        return next((f for f in self.figures if f.section == section and f.name == name), None)

    def section(self, section: str) -> list[Figure]:
        return [f for f in self.figures if f.section == section]

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period, self.period: self.month, f"previous_{self.period}": self.previous_month,
            "project": self.project,
            "timezone": self.timezone, "generated_at": self.generated_at.isoformat(),
            "figures": [{**f.to_dict(), "label": period_label(f.label, self.period)} for f in self.figures],
            "major_complaints": [m.to_dict() for m in self.major_complaints],
        }


@dataclass(frozen=True)
class _Ratio:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


@dataclass(frozen=True)
class _MonthStats:
    total: int
    counts: dict[str, Counter[str]]
    response: _Ratio
    resolution: _Ratio
    major: list[MajorComplaint]
    satisfaction: _Ratio
    nps: int | None
    nps_answers: int


def build_report(
    cases: Iterable[Doc],
    answers: Iterable[Doc],
    month: str | Month | Week,
    project: str | None = None,
    now: datetime | None = None,
    rules: Rules | None = None,
) -> MonthlyReport:
    """The report of ``month`` ('YYYY-MM', Asia/Shanghai) and optionally one ``project``.

    ``now`` is the report time (deadlines not yet passed are not judged); default: the current time.
    Raises ``MonthError`` for a month that is not 'YYYY-MM'.
    """
    m = month if isinstance(month, (Month, Week)) else Month.parse(month)
    at = as_utc(now) if now is not None else datetime.now(timezone.utc)
    assert at is not None
    r = rules or default_rules()
    all_cases = list(cases)
    all_answers = list(answers)
    this = _month_stats(all_cases, all_answers, m, project, at, r.scores)
    before = _month_stats(all_cases, all_answers, m.previous(), project, at, r.scores)
    figures = [Figure("cases", "total", "count", this.total, before.total)]
    for dim in DIMENSIONS:
        keys = ordered(dim, set(this.counts[dim]) | set(before.counts[dim]))
        figures += [Figure(dim, k, "count", this.counts[dim][k], before.counts[dim][k]) for k in keys]
    figures += _quality(this, before, r)
    return MonthlyReport(str(m), str(m.previous()), project, at, tuple(figures), tuple(this.major),
                         period="week" if isinstance(m, Week) else "month")


def _quality(this: _MonthStats, before: _MonthStats, r: Rules) -> list[Figure]:
    def share(name: str, now: _Ratio, then: _Ratio) -> Figure:
        return Figure("quality", name, "share", now.value, then.value, now.numerator, now.denominator,
                      then.numerator, then.denominator, r.targets.get(name))

    return [
        share("on_time_response_rate", this.response, before.response),
        share("timely_resolution_rate", this.resolution, before.resolution),
        Figure("quality", "major_complaints", "count", len(this.major), len(before.major),
               target=r.targets.get("major_complaints")),
        share("satisfaction_rate", this.satisfaction, before.satisfaction),
        Figure("quality", "nps", "score", this.nps, before.nps, denominator=this.nps_answers,
               previous_denominator=before.nps_answers, target=r.targets.get("nps")),
    ]


def _month_stats(cases: list[Doc], answers: list[Doc], m: Month | Week, project: str | None, now: datetime,
                 scores: Scores) -> _MonthStats:
    mine = [c for c in cases if project is None or c.get("project") == project]
    opened = [c for c in mine if m.contains(as_utc(c.get("opened_at")))]
    case_project = {c.get("_id"): c.get("project") for c in cases}
    answered = [a for a in answers
                if m.contains(as_utc(a.get("answered_at")))
                and (project is None or (a.get("project") or case_project.get(a.get("case_id"))) == project)]
    csats = [int(a["csat"]) for a in answered if a.get("csat") is not None]
    npss = [int(a["nps"]) for a in answered if a.get("nps") is not None]
    return _MonthStats(
        total=len(opened),
        counts={dim: _count(opened, dim) for dim in DIMENSIONS},
        response=_timeliness(opened, "responded_at", "respond_by", now),
        resolution=_timeliness(opened, "resolved_at", "resolve_by", now),
        major=_major(mine, m),
        satisfaction=_Ratio(sum(1 for s in csats if s >= scores.satisfied_csat), len(csats)),
        nps=_nps(npss, scores),
        nps_answers=len(npss),
    )


def _count(cases: list[Doc], dim: str) -> Counter[str]:
    if dim == "category":
        return Counter(str(c["category"]) for c in cases
                       if c.get("kind") in _CATEGORISED_KINDS and c.get("category"))
    if dim == "level":
        return Counter(str(int(c.get("level") or 0)) for c in cases if c.get("kind") == "complaint")
    return Counter(str(c.get(dim) or _MISSING.get(dim, "unknown")) for c in cases)


def _timeliness(cases: list[Doc], done_field: str, due_field: str, now: datetime) -> _Ratio:
    """Judged cases (done, or due passed) and those done by their due time."""
    judged = on_time = 0
    for c in cases:
        due, done = as_utc(c.get(due_field)), as_utc(c.get(done_field))
        if due is None or (done is None and now <= due):
            continue
        judged += 1
        on_time += done is not None and done <= due
    return _Ratio(on_time, judged)


def _major(cases: list[Doc], m: Month | Week) -> list[MajorComplaint]:
    """The first level-3 escalation in ``m`` of each case, a group complaint's members counting once."""
    found: dict[str, MajorComplaint] = {}
    for c in cases:
        for e in c.get("escalations") or []:
            at = as_utc(e.get("at"))
            if e.get("level") != 3 or not m.contains(at):
                continue
            assert at is not None
            key = c.get("group_id") or c["_id"]
            if key not in found or at < found[key].at:
                found[key] = MajorComplaint(str(c["_id"]), c.get("group_id"), at, e.get("reason"),
                                            c.get("project"), c.get("department"), c.get("summary"))
    return sorted(found.values(), key=lambda x: (x.at, x.case_id))


def _nps(scores_0_10: list[int], s: Scores) -> int | None:
    """% promoters - % detractors, rounded half away from zero, in exact integer arithmetic."""
    if not scores_0_10:
        return None
    n = len(scores_0_10)
    promoters = sum(1 for x in scores_0_10 if x >= s.promoter_nps)
    detractors = sum(1 for x in scores_0_10 if x <= s.detractor_nps)
    net = 100 * (promoters - detractors)
    magnitude = (2 * abs(net) + n) // (2 * n)
    return magnitude if net >= 0 else -magnitude


# Shared with the quality report (``quality``), which judges repairs by the same deadline rules.
Ratio = _Ratio
timeliness = _timeliness
