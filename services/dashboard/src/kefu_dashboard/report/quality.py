"""The quality report on the property company and warranty repairs (质检报告): pure computation.

Input: the dashboard store's ``cases`` (repairs: ``kind == "repair"``) and ``answers`` documents;
output: a ``QualityReport`` for a ``DateRange`` (whole days in Asia/Shanghai, both included), for
all repairs and per project and per handling department or contractor. Definitions:

* repairs opened: repair cases with ``opened_at`` in the range;
* repairs completed: work orders (``work_orders``, from ``repair.completed``) completed in the
  range; a reopened repair's second work order is a second completion;
* on-time response / on-time completion: the monthly report's rules (``build.timeliness``) over
  the repairs opened in the range: among those with a deadline that were responded to (resolved),
  or whose deadline has passed at report time, the share done by ``respond_by`` (``resolve_by``);
* repeat repairs: repairs opened in the range whose unit (project, building, unit) had a repair of
  the same category opened in the 90 days before (``REPEAT_WINDOW``, the earlier one may be before
  the range); the share is of the repairs opened, so a repeat counts in the same rows as its
  opening (the worst cases name the earlier repair); a repair without a unit or a category cannot
  be a repeat;
* return-visit satisfaction: repair return visits (``repair_return_visit``) with a CSAT answered
  in the range, the share with CSAT >= 4 (the monthly report's scoring);
* cost: the work orders completed in the range, under warranty (paid by the developer) against
  paid service (有偿服务), as counts and sums in CNY (decimal, never float);
* worst cases: repairs opened in the range with at least one problem (late response, late
  completion, a repeat, a dissatisfied return visit), most problems first, then the longest late
  completion, at most ``WORST`` of them.

A repair's department is the department of its latest work order (the one that did the work,
possibly a contractor), else the case's department, else "unassigned"; a work order's cost counts
under its own department.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from .build import Ratio, timeliness
from .dates import DateRange
from .months import as_utc
from .targets import Scores, default_rules

Doc = Mapping[str, Any]

REPEAT_WINDOW = timedelta(days=90)
WORST = 10
RETURN_VISIT = "repair_return_visit"
UNASSIGNED, UNKNOWN = "unassigned", "unknown"


@dataclass
class QualityRow:
    """The figures of one scope: all repairs, one project or one department."""

    scope: str  # "all", "project" or "department"
    key: str
    opened: int = 0
    completed: int = 0
    response: Ratio = field(default_factory=lambda: Ratio(0, 0))
    completion: Ratio = field(default_factory=lambda: Ratio(0, 0))
    repeats: int = 0
    satisfaction: Ratio = field(default_factory=lambda: Ratio(0, 0))
    warranty_orders: int = 0
    warranty_cost: Decimal = Decimal("0.00")
    paid_orders: int = 0
    paid_cost: Decimal = Decimal("0.00")

    @property
    def repeat_rate(self) -> Ratio:
        return Ratio(self.repeats, self.opened)

    def to_dict(self) -> dict[str, Any]:
        def ratio(r: Ratio) -> dict[str, Any]:
            return {"value": r.value, "numerator": r.numerator, "denominator": r.denominator}

        return {"scope": self.scope, "key": self.key, "repairs_opened": self.opened,
                "repairs_completed": self.completed, "on_time_response": ratio(self.response),
                "on_time_completion": ratio(self.completion), "repeat_repairs": self.repeats,
                "repeat_rate": ratio(self.repeat_rate), "return_visit_satisfaction": ratio(self.satisfaction),
                "warranty_orders": self.warranty_orders, "warranty_cost": f"{self.warranty_cost:.2f}",
                "paid_orders": self.paid_orders, "paid_cost": f"{self.paid_cost:.2f}"}


@dataclass(frozen=True)
class WorstCase:
    case_id: str
    project: str
    department: str
    category: str | None
    unit: str | None
    opened_at: datetime
    problems: tuple[str, ...]  # late_response, late_completion, repeat, dissatisfied
    hours_late: float | None  # completion past resolve_by (at report time when still not done)
    csat: int | None  # the lowest return-visit CSAT
    summary: str | None
    repeats_case: str | None = None  # the earlier repair of the same unit and category


    def to_dict(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "project": self.project, "department": self.department,
                "category": self.category, "unit": self.unit, "opened_at": self.opened_at.isoformat(),
                "problems": list(self.problems), "hours_late": self.hours_late, "csat": self.csat,
                "summary": self.summary, "repeats_case": self.repeats_case}


@dataclass(frozen=True)
class QualityReport:
    first: str
    last: str
    project: str | None
    generated_at: datetime
    total: QualityRow
    by_project: tuple[QualityRow, ...]
    by_department: tuple[QualityRow, ...]
    worst: tuple[WorstCase, ...]
    timezone: str = "Asia/Shanghai"

    def rows(self) -> list[QualityRow]:
        return [self.total, *self.by_project, *self.by_department]

    def to_dict(self) -> dict[str, Any]:
        return {"from": self.first, "to": self.last, "project": self.project, "timezone": self.timezone,
                "generated_at": self.generated_at.isoformat(), "total": self.total.to_dict(),
                "by_project": [r.to_dict() for r in self.by_project],
                "by_department": [r.to_dict() for r in self.by_department],
                "worst_cases": [w.to_dict() for w in self.worst]}


def handler(case: Doc) -> str:
    """Who did the repair: the latest work order's department (a contractor too), else the case's."""
    orders = case.get("work_orders") or []
    if orders:
        return str(orders[-1].get("department") or UNASSIGNED)
    return str(case.get("department") or UNASSIGNED)


def unit_key(case: Doc) -> tuple[str, str, str] | None:
    if not case.get("unit"):
        return None
    return str(case.get("project") or ""), str(case.get("building") or ""), str(case["unit"])


def repeats_of(repairs: Iterable[Doc], window: timedelta = REPEAT_WINDOW) -> dict[str, Doc]:
    """Each repeat repair's id -> the earlier repair it repeats (the latest of the same unit and category
    opened in the ``window`` before it; strictly before, ties broken by case id)."""
    by_unit: dict[tuple[Any, ...], list[tuple[datetime, str, Doc]]] = defaultdict(list)
    for c in repairs:
        key, at = unit_key(c), as_utc(c.get("opened_at"))
        if key is None or not c.get("category") or at is None:
            continue
        by_unit[(*key, c["category"])].append((at, str(c["_id"]), c))
    out: dict[str, Doc] = {}
    for group in by_unit.values():
        group.sort(key=lambda x: (x[0], x[1]))
        for i in range(1, len(group)):
            at, case_id, _ = group[i]
            earlier_at, _, earlier = group[i - 1]
            if earlier_at < at and at - earlier_at <= window:
                out[case_id] = earlier
    return out


def is_late(case: Doc, done_field: str, due_field: str, now: datetime) -> bool:
    """Judged (done, or its deadline passed) and not done by its deadline: the complement of on time."""
    ratio = timeliness([case], done_field, due_field, now)
    return ratio.denominator == 1 and ratio.numerator == 0


def build_quality(cases: Iterable[Doc], answers: Iterable[Doc], period: DateRange, project: str | None = None,
                  now: datetime | None = None, scores: Scores | None = None, worst: int = WORST) -> QualityReport:
    """The quality report of ``period``; ``cases`` must include the repairs opened up to 90 days before it."""
    at = as_utc(now) if now is not None else datetime.now(timezone.utc)
    assert at is not None
    s = scores or default_rules().scores
    repairs = {str(c["_id"]): c for c in cases if c.get("kind") == "repair"
               and (project is None or c.get("project") == project)}
    opened = sorted((c for c in repairs.values() if period.contains(as_utc(c.get("opened_at")))),
                    key=lambda c: (as_utc(c.get("opened_at")), str(c["_id"])))
    repeats = {k: v for k, v in repeats_of(repairs.values()).items() if period.contains(
        as_utc(repairs[k].get("opened_at")))}
    visits = [a for a in answers if a.get("kind") == RETURN_VISIT and a.get("csat") is not None
              and period.contains(as_utc(a.get("answered_at")))]

    rows: dict[tuple[str, str], QualityRow] = {}

    def targets(project_key: str, department_key: str) -> list[QualityRow]:
        out = []
        for scope, key in (("all", "all"), ("project", project_key), ("department", department_key)):
            out.append(rows.setdefault((scope, key), QualityRow(scope, key)))
        return out

    response: dict[tuple[str, str], list[Doc]] = defaultdict(list)
    for c in opened:
        for row in targets(str(c.get("project") or UNKNOWN), handler(c)):
            row.opened += 1
            response[(row.scope, row.key)].append(c)
    for key, docs in response.items():
        rows[key].response = timeliness(docs, "responded_at", "respond_by", at)
        rows[key].completion = timeliness(docs, "resolved_at", "resolve_by", at)
    for case_id in repeats:
        for row in targets(str(repairs[case_id].get("project") or UNKNOWN), handler(repairs[case_id])):
            row.repeats += 1
    for c in repairs.values():
        for order in c.get("work_orders") or []:
            if not period.contains(as_utc(order.get("completed_at"))):
                continue
            cost = Decimal(str(order.get("cost") or "0"))
            for row in targets(str(c.get("project") or UNKNOWN), str(order.get("department") or UNASSIGNED)):
                row.completed += 1
                if order.get("under_warranty"):
                    row.warranty_orders += 1
                    row.warranty_cost += cost
                else:
                    row.paid_orders += 1
                    row.paid_cost += cost
    satisfied: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for a in visits:
        case = repairs.get(str(a.get("case_id")))  # None: a case the store has not got: the answer's own keys
        project_key = str(a.get("project") or (case or {}).get("project") or UNKNOWN)
        if project is not None and project_key != project:
            continue
        department_key = handler(case) if case is not None else str(a.get("department") or UNASSIGNED)
        for row in targets(project_key, department_key):
            tally = satisfied[(row.scope, row.key)]
            tally[0] += int(a["csat"]) >= s.satisfied_csat
            tally[1] += 1
    for key, (good, n) in satisfied.items():
        rows[key].satisfaction = Ratio(good, n)

    total = rows.get(("all", "all")) or QualityRow("all", "all")
    return QualityReport(
        period.first.isoformat(), period.last.isoformat(), project, at, total,
        tuple(sorted((r for (scope, _), r in rows.items() if scope == "project"), key=lambda r: r.key)),
        tuple(sorted((r for (scope, _), r in rows.items() if scope == "department"), key=lambda r: r.key)),
        tuple(_worst(opened, repeats, visits, at, s)[:worst]))


def _worst(opened: list[Doc], repeats: dict[str, Doc], visits: list[Doc], now: datetime,
           s: Scores) -> list[WorstCase]:
    lowest: dict[str, int] = {}
    for a in visits:
        cid = str(a.get("case_id"))
        lowest[cid] = min(lowest.get(cid, 99), int(a["csat"]))
    found = []
    for c in opened:
        cid = str(c["_id"])
        problems = [name for name, bad in (
            ("late_response", is_late(c, "responded_at", "respond_by", now)),
            ("late_completion", is_late(c, "resolved_at", "resolve_by", now)),
            ("repeat", cid in repeats),
            ("dissatisfied", cid in lowest and lowest[cid] < s.satisfied_csat)) if bad]
        if not problems:
            continue
        due, done = as_utc(c.get("resolve_by")), as_utc(c.get("resolved_at"))
        hours = round(((done or now) - due).total_seconds() / 3600, 1) if "late_completion" in problems and due \
            else None
        opened_at = as_utc(c.get("opened_at"))
        assert opened_at is not None
        found.append(WorstCase(cid, str(c.get("project") or UNKNOWN), handler(c), c.get("category"), c.get("unit"),
                               opened_at, tuple(problems), hours, lowest.get(cid), c.get("summary"),
                               str(repeats[cid]["_id"]) if cid in repeats else None))
    found.sort(key=lambda w: (-len(w.problems), -(w.hours_late or 0), w.opened_at, w.case_id))
    return found
