"""The report's quality targets and answer scoring, as data (``targets.toml``), validated on load.

A target is a comparison the month's value must pass ("satisfaction above 80 %" is
``> 0.80``); a figure without data (no denominator) neither meets nor misses it.
"""

from __future__ import annotations

import operator
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le,
}


@dataclass(frozen=True)
class Target:
    op: str
    threshold: float
    source: str = ""

    def __post_init__(self) -> None:
        if self.op not in _OPS:
            raise ValueError(f"target op must be one of {', '.join(_OPS)}, not {self.op!r}")

    def met(self, value: float | None) -> bool | None:
        """True/False against the target; None when there is no value to judge."""
        return None if value is None else _OPS[self.op](value, self.threshold)


@dataclass(frozen=True)
class Scores:
    satisfied_csat: int = 4
    promoter_nps: int = 9
    detractor_nps: int = 6

    def __post_init__(self) -> None:
        if not 1 <= self.satisfied_csat <= 5:
            raise ValueError("satisfied_csat is a CSAT score from 1 to 5")
        if not 0 <= self.detractor_nps < self.promoter_nps <= 10:
            raise ValueError("NPS scores: 0 <= detractor_nps < promoter_nps <= 10")


@dataclass(frozen=True)
class Rules:
    targets: dict[str, Target]
    scores: Scores


def parse_rules(data: dict[str, Any]) -> Rules:
    targets = {}
    for name, spec in data.get("target", {}).items():
        try:
            targets[name] = Target(str(spec["op"]), float(spec["threshold"]), str(spec.get("source", "")))
        except KeyError as exc:
            raise ValueError(f"target {name!r} needs {exc.args[0]!r}") from exc
    return Rules(targets, Scores(**data.get("scores", {})))


@lru_cache(maxsize=1)
def default_rules() -> Rules:
    text = resources.files("kefu_dashboard.report").joinpath("targets.toml").read_text(encoding="utf-8")
    return parse_rules(tomllib.loads(text))
