"""Which department handles a case: the first rule in ``departments.toml`` that matches.

Rules are data so that the customer service center can change who handles
what without a release; each decision names the rule that made it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class DepartmentRule:
    id: str
    department: str
    kinds: frozenset[str]
    categories: frozenset[str]
    projects: frozenset[str]
    words: tuple[re.Pattern[str], ...]
    under_warranty: bool | None = None  # when set, the rule applies only to repairs with that warranty decision
    warranty_unknown: bool = False  # applies only when the warranty could not be decided

    def matches(
        self, kind: str, category: str | None, project: str | None, text: str, under_warranty: bool | None = None
    ) -> bool:
        if self.warranty_unknown and under_warranty is not None:
            return False
        if self.under_warranty is not None and under_warranty is not self.under_warranty:
            return False
        return (
            (not self.kinds or kind in self.kinds)
            and (not self.categories or (category or "") in self.categories)
            and (not self.projects or (project or "") in self.projects)
            and (not self.words or any(w.search(text) for w in self.words))
        )


@dataclass(frozen=True)
class RuleTable:
    departments: dict[str, str]  # id -> display name
    rules: tuple[DepartmentRule, ...]
    default: str

    def assign(
        self, kind: str, category: str | None, project: str | None, text: str, under_warranty: bool | None = None
    ) -> tuple[str, str]:
        """(department, rule id) for a case; ``under_warranty`` is the repair's warranty decision."""
        for rule in self.rules:
            if rule.matches(kind, category, project, text, under_warranty):
                return rule.department, rule.id
        return self.default, "default"


def parse_rules(data: dict[str, Any]) -> RuleTable:
    departments = {d["id"]: d["name"] for d in data["department"]}
    rules = []
    for r in data.get("rule", []):
        if r["department"] not in departments:
            raise ValueError(f"rule {r['id']} names unknown department {r['department']!r}")
        rules.append(
            DepartmentRule(
                id=r["id"],
                department=r["department"],
                kinds=frozenset(r.get("kinds", [])),
                categories=frozenset(r.get("categories", [])),
                projects=frozenset(r.get("projects", [])),
                words=tuple(re.compile(re.escape(w), re.IGNORECASE) for w in r.get("words", [])),
                under_warranty=r.get("under_warranty"),
                warranty_unknown=bool(r.get("warranty_unknown", False)),
            )
        )
    default = data["default_department"]
    if default not in departments:
        raise ValueError(f"default department {default!r} is not defined")
    return RuleTable(departments, tuple(rules), default)


@lru_cache(maxsize=1)
def default_rules() -> RuleTable:
    text = resources.files("kefu_routing.domain").joinpath("departments.toml").read_text(encoding="utf-8")
    return parse_rules(tomllib.loads(text))
