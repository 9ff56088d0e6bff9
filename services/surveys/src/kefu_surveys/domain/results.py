"""Satisfaction results (满意度统计): satisfaction rate and NPS per project, department and month.

* satisfaction rate: the share of CSAT answers that are ``satisfied_csat`` (4) or above;
  the seeds' target is "satisfaction above 80%" (strictly above).
* NPS: percent promoters (9-10) minus percent detractors (0-6) among NPS answers, -100..100.

Counted in Python from the stored answers (FerretDB's ``$group`` computes only its first
accumulator correctly, and a month's answers are few).
"""

from __future__ import annotations

import tomllib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Targets:
    satisfaction_target: float = 0.80
    satisfied_csat: int = 4
    promoter_nps: int = 9
    detractor_nps: int = 6

    def __post_init__(self) -> None:
        if not 0 <= self.satisfaction_target <= 1:
            raise ValueError("satisfaction_target is a share from 0 to 1")
        if not 1 <= self.satisfied_csat <= 5:
            raise ValueError("satisfied_csat is a CSAT score from 1 to 5")
        if not 0 <= self.detractor_nps < self.promoter_nps <= 10:
            raise ValueError("NPS: 0 <= detractor_nps < promoter_nps <= 10")


def parse_targets(data: dict[str, Any]) -> Targets:
    return Targets(**{k: data[k] for k in ("satisfaction_target", "satisfied_csat", "promoter_nps",
                                           "detractor_nps") if k in data})


@lru_cache(maxsize=1)
def default_targets() -> Targets:
    text = resources.files("kefu_surveys.domain").joinpath("results.toml").read_text(encoding="utf-8")
    return parse_targets(tomllib.loads(text))


def satisfaction_rate(csats: Iterable[int], targets: Targets | None = None) -> float | None:
    """Share of CSAT answers at or above the satisfied score; None without answers."""
    t = targets or default_targets()
    scores = list(csats)
    return sum(1 for s in scores if s >= t.satisfied_csat) / len(scores) if scores else None


def nps(scores_0_10: Iterable[int], targets: Targets | None = None) -> float | None:
    """Net promoter score in percent (-100..100); None without answers."""
    t = targets or default_targets()
    scores = list(scores_0_10)
    if not scores:
        return None
    promoters = sum(1 for s in scores if s >= t.promoter_nps)
    detractors = sum(1 for s in scores if s <= t.detractor_nps)
    return 100.0 * (promoters - detractors) / len(scores)


def summarise(answers: Iterable[dict[str, Any]], targets: Targets | None = None) -> dict[str, Any]:
    """Counts, satisfaction rate, NPS and whether the target is met, for one group of answers."""
    t = targets or default_targets()
    rows = list(answers)
    csats = [a["csat"] for a in rows if a.get("csat") is not None]
    scores = [a["nps"] for a in rows if a.get("nps") is not None]
    rate = satisfaction_rate(csats, t)
    return {
        "answers": len(rows),
        "csat_answers": len(csats),
        "nps_answers": len(scores),
        "satisfaction_rate": rate,
        "nps": nps(scores, t),
        "target": t.satisfaction_target,
        "meets_target": None if rate is None else rate > t.satisfaction_target,
    }


def results_by_group(answers: Iterable[dict[str, Any]], targets: Targets | None = None) -> dict[str, Any]:
    """The overall summary and one row per (project, department, month)."""
    rows = list(answers)
    groups: dict[tuple[str | None, str | None, str], list[dict[str, Any]]] = defaultdict(list)
    for a in rows:
        groups[(a.get("project"), a.get("department"), a["month"])].append(a)
    return {
        "overall": summarise(rows, targets),
        "groups": [{"project": p, "department": d, "month": m, **summarise(g, targets)}
                   for (p, d, m), g in sorted(groups.items(), key=lambda kv: tuple(str(x) for x in kv[0]))],
    }
