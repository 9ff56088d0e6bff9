"""Classifying a contact's text: kind, repair category and urgency flags, explainably.

The rules are data (``taxonomy.toml``, reviewed by the after-sales supervisor
who keeps the knowledge base); this module only applies them. Every rule that
fired is returned, so a case shows why it was classified as it was.

Scoring: each kind rule that matches adds its weight to its kind; the kind with
the highest score wins, ties broken by the taxonomy's ``priority`` order (a
complaint outranks a repair request, which outranks an inquiry...). With no
match the contact is an inquiry: someone asked us something.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Rule:
    id: str
    target: str  # a kind, a category or an urgency flag
    weight: float
    patterns: tuple[re.Pattern[str], ...]
    unless: tuple[re.Pattern[str], ...] = ()

    def matches(self, text: str) -> bool:
        return any(p.search(text) for p in self.patterns) and not any(u.search(text) for u in self.unless)


@dataclass(frozen=True)
class Taxonomy:
    version: str
    priority: tuple[str, ...]
    default_kind: str
    kind_rules: tuple[Rule, ...]
    category_rules: tuple[Rule, ...]
    urgent_rules: tuple[Rule, ...]
    categories: tuple[str, ...]
    flags: tuple[str, ...]


@dataclass(frozen=True)
class Classification:
    kind: str
    category: str | None
    urgent_flags: tuple[str, ...]
    rules: tuple[str, ...] = field(default=())
    scores: dict[str, float] = field(default_factory=dict)


def _compile(words: list[str]) -> tuple[re.Pattern[str], ...]:
    out = []
    for word in words:
        if word.startswith("re:"):
            out.append(re.compile(word[3:], re.IGNORECASE))
        elif word.isascii():
            out.append(re.compile(r"\b" + re.escape(word) + r"\b", re.IGNORECASE))
        else:
            out.append(re.compile(re.escape(word)))
    return tuple(out)


def _rules(entries: list[dict[str, Any]], key: str) -> tuple[Rule, ...]:
    return tuple(
        Rule(
            id=e["id"],
            target=e[key],
            weight=float(e.get("weight", 1.0)),
            patterns=_compile(e["any"]),
            unless=_compile(e.get("unless", [])),
        )
        for e in entries
    )


def parse_taxonomy(data: dict[str, Any]) -> Taxonomy:
    """Build a taxonomy from its TOML data, checking that every rule names a known target."""
    kinds = tuple(data["kinds"]["priority"])
    categories = tuple(data["categories"]["names"])
    flags = tuple(data["urgent"]["names"])
    tax = Taxonomy(
        version=str(data["version"]),
        priority=kinds,
        default_kind=data["kinds"]["default"],
        kind_rules=_rules(data.get("kind_rule", []), "kind"),
        category_rules=_rules(data.get("category_rule", []), "category"),
        urgent_rules=_rules(data.get("urgent_rule", []), "flag"),
        categories=categories,
        flags=flags,
    )
    for rules, known in ((tax.kind_rules, kinds), (tax.category_rules, categories), (tax.urgent_rules, flags)):
        for rule in rules:
            if rule.target not in known:
                raise ValueError(f"rule {rule.id} names unknown target {rule.target!r}")
    ids = [r.id for r in (*tax.kind_rules, *tax.category_rules, *tax.urgent_rules)]
    if len(ids) != len(set(ids)):
        raise ValueError("rule ids must be unique")
    return tax


@lru_cache(maxsize=1)
def default_taxonomy() -> Taxonomy:
    text = resources.files("kefu_intake.domain").joinpath("taxonomy.toml").read_text(encoding="utf-8")
    return parse_taxonomy(tomllib.loads(text))


def classify(text: str, agent_kind: str | None = None, taxonomy: Taxonomy | None = None) -> Classification:
    """Classify ``text``; an agent's kind, when given, wins over the rules for the kind."""
    tax = taxonomy or default_taxonomy()
    fired: list[str] = []

    scores: dict[str, float] = {}
    for rule in tax.kind_rules:
        if rule.matches(text):
            scores[rule.target] = scores.get(rule.target, 0.0) + rule.weight
            fired.append(rule.id)
    if agent_kind:
        kind = agent_kind
        fired = [f"agent:{agent_kind}", *fired]
    elif scores:
        best = max(scores.values())
        kind = next(k for k in tax.priority if scores.get(k) == best)
    else:
        kind = tax.default_kind
        fired.append(f"default:{kind}")

    category = None
    cat_scores: dict[str, float] = {}
    for rule in tax.category_rules:
        if rule.matches(text):
            cat_scores[rule.target] = cat_scores.get(rule.target, 0.0) + rule.weight
            fired.append(rule.id)
    if cat_scores:
        best = max(cat_scores.values())
        category = next(c for c in tax.categories if cat_scores.get(c) == best)
    elif kind == "repair":
        category = "other"

    flags = []
    for rule in tax.urgent_rules:
        if rule.matches(text) and rule.target not in flags:
            flags.append(rule.target)
            fired.append(rule.id)
    return Classification(kind, category, tuple(f for f in tax.flags if f in flags), tuple(fired), scores)
