"""What the page shows, computed from case documents (pure: no store, no HTTP).

Counting happens here rather than in ``$group`` pipelines: FerretDB computes only
the first accumulator of a ``$group`` correctly.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kefu_kit.auth import Principal

from .projection import is_open, overdue

LEVELS = (0, 1, 2, 3)


class NotAllowed(Exception):
    """A department's staff asked for another department's cases."""


@dataclass(frozen=True)
class Scope:
    """Which cases a caller sees: department staff their own department's only, whatever they ask."""

    project: str | None = None
    department: str | None = None

    @classmethod
    def of(cls, who: Principal, project: str | None, department: str | None) -> "Scope":
        if not who.sees_all:
            if department and department != who.department:
                raise NotAllowed("department staff see their own department's cases only")
            department = who.department
        return cls(project or None, department or None)

    def query(self) -> dict[str, Any]:
        return {k: v for k, v in {"project": self.project, "department": self.department}.items() if v}

    def admits(self, case: dict[str, Any]) -> bool:
        return all(case.get(k) == v for k, v in self.query().items())


@dataclass(frozen=True)
class Board:
    """What the summary is computed from: only the cases it lists, and counts for the rest."""

    open_cases: list[dict[str, Any]]
    grouped_cases: list[dict[str, Any]]  # every case in a group complaint, open or not
    by_status: dict[str, int]
    projects: list[str]
    departments: list[str]


def summary(board: Board, now: datetime) -> dict[str, Any]:
    """Open cases by department and level, overdue cases, group complaints and counts."""
    open_cases = [c for c in board.open_cases if is_open(c)]
    by_department: dict[str, Counter[int]] = defaultdict(Counter)
    for case in open_cases:
        by_department[case.get("department") or "(unassigned)"][case.get("level") or 0] += 1
    late = []
    for case in open_cases:
        missed = overdue(case, now)
        if missed:
            late.append({**case, "overdue": missed})
    late.sort(key=lambda c: min(d for d in (c.get("respond_by"), c.get("resolve_by")) if d))
    return {
        "at": now,
        "counts": {
            "cases": sum(board.by_status.values()),
            "open": len(open_cases),
            "overdue": len(late),
            "escalated_open": sum(1 for c in open_cases if c.get("escalations")),
            "groups": len({c["group_id"] for c in board.grouped_cases}),
            "by_status": board.by_status,
        },
        "open_by_department": [
            {"department": dept, "total": sum(levels.values()), "levels": {str(lv): levels.get(lv, 0) for lv in LEVELS}}
            for dept, levels in sorted(by_department.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
        ],
        "overdue": late,
        "groups": groups(board.grouped_cases),
        "projects": board.projects,
        "departments": board.departments,
    }


def groups(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Group complaints (群诉) among ``cases``: their members, where, how many still open; newest first."""
    members: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for case in cases:
        if case.get("group_id"):
            members[case["group_id"]].append(case)
    out = []
    for group_id, cs in members.items():
        cs.sort(key=lambda c: (c.get("opened_at") is None, c.get("opened_at") or 0, c["_id"]))
        lead = next((c for c in cs if any(e["reason"] == "group_complaint" for e in c.get("escalations", []))), cs[0])
        escalated = [e["at"] for c in cs for e in c.get("escalations", []) if e["reason"] == "group_complaint"]
        out.append({
            "group_id": group_id, "lead_case_id": lead["_id"], "project": lead.get("project"),
            "building": lead.get("building"), "category": lead.get("category"), "summary": lead.get("summary"),
            "level": max((c.get("level") or 0) for c in cs), "escalated_at": min(escalated, default=None),
            "members": [{"case_id": c["_id"], "customer_id": c.get("customer_id"), "department": c.get("department"),
                         "status": c.get("status"), "unit": c.get("unit")} for c in cs],
            "open": sum(1 for c in cs if is_open(c)),
        })
    out.sort(key=lambda g: (g["escalated_at"] is None, -(g["escalated_at"].timestamp() if g["escalated_at"] else 0)))
    return out
