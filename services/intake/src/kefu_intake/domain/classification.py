"""Classifying a contact's text: kind, repair category and urgency flags, explainably.

The rules are data (``taxonomy.toml``, reviewed by the after-sales supervisor
who keeps the knowledge base); this module only applies them. Every rule that
fired is returned, so a case shows why it was classified as it was. Pure
Python, deterministic, no learned weights.

How a text is classified:

1. **Urgent flags are found first** (``urgent_rule``): a hazard or an
   escalation threat stated in the text.
2. **Kind**: each kind rule that matches adds its weight to its kind, and each
   ``kind_prior`` whose flag was found adds its weight too (a gas smell
   reported now leans to a repair; a threat to go to the media leans to a
   complaint). The kind with the highest score wins, ties broken by the
   taxonomy's ``priority`` order. With no match the contact is the default
   kind (an inquiry: someone asked us something). An agent's kind, when given,
   wins over all of this.
3. **Category**: only for the kinds in ``[categories] kinds`` (repairs and
   complaints about a defect). The category rules' weights are summed per
   category; the highest wins, ties broken by ``[categories] tie_break``.
   A kind listed in ``[categories] always`` (repair) falls back to
   ``[categories] fallback`` (other); a kind listed in ``[categories] evidence``
   gets a category only when one of the kind or urgent rules named there also
   fired (a complaint is about a defect only when the text describes one).
4. **Flags are kept** only for the kinds their rule allows (``kinds``,
   defaulting to ``[urgent] kinds``): a preventive suggestion, a question
   about a hazard or thanks for a past rescue names no hazard now.

A rule matches when any of its ``any`` words is found and, for each group in
``all``, one word of that group is found, and none of its ``unless`` words is
found. A ``negatable`` rule ignores a word preceded, in the same clause, by a
negation from ``[negation]`` ("不满意" does not count as "满意"). A ``fallback``
kind rule counts only when no other kind rule and no prior fired (a weak hint
used instead of the default kind).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

_CLAUSE_END = re.compile(r"[，。,.!！?？;；:：\n]")
_WORD = re.compile(r"[a-z']+")


@dataclass(frozen=True)
class Negation:
    """Words that negate what follows them in the same clause."""

    prefixes: tuple[str, ...] = ()  # Chinese, looked for in the ``window`` characters before a match
    window: int = 3
    words: tuple[str, ...] = ()  # English, looked for in the ``words_window`` words before a match
    words_window: int = 3
    not_negations: tuple[str, ...] = ()  # words that contain a prefix but negate nothing ("特别", "不仅")

    def negates(self, text: str, start: int) -> bool:
        before = text[:start]
        clause = _CLAUSE_END.split(before)[-1]
        for word in self.not_negations:
            clause = clause.replace(word, " " * len(word))
        if self.window and any(p in clause[-self.window :] for p in self.prefixes):
            return True
        if self.words:
            tail = _WORD.findall(clause.lower())[-self.words_window :]
            return any(w in self.words or w.endswith("n't") for w in tail)
        return False


@dataclass(frozen=True)
class Rule:
    id: str
    target: str  # a kind, a category or an urgency flag
    weight: float
    patterns: tuple[re.Pattern[str], ...]  # any of these...
    unless: tuple[re.Pattern[str], ...] = ()  # ...and none of these
    groups: tuple[tuple[re.Pattern[str], ...], ...] = ()  # ...and one of each group
    negatable: bool = False
    kinds: tuple[str, ...] = ()  # category and urgent rules: only for these kinds (empty: any)
    fallback: bool = False  # kind rules: counts only when no other kind rule or prior fired

    # the checks of ``patterns``, each of ``groups`` and ``unless``, prepared once (``_Check``)
    _any: "_Check" = field(init=False, repr=False, compare=False)
    _all: tuple["_Check", ...] = field(init=False, repr=False, compare=False)
    _unless: "_Check" = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_any", _Check.of(self.patterns))
        object.__setattr__(self, "_all", tuple(_Check.of(group) for group in self.groups))
        object.__setattr__(self, "_unless", _Check.of(self.unless))

    def matches(self, text: str, negation: Negation | None = None) -> bool:
        neg = negation if self.negatable else None
        if self.patterns and not _found(self._any, text, neg):
            return False
        if not all(_found(group, text, neg) for group in self._all):
            return False
        return not (self.unless and _found(self._unless, text, None))

    def allows(self, kind: str) -> bool:
        return not self.kinds or kind in self.kinds


@dataclass(frozen=True)
class _Check:
    """What ``_found`` needs of a tuple of patterns, worked out once when the rule is made: looking
    it up per text (an ``lru_cache`` keyed by the tuple, hashed each time) cost more than the checks."""

    patterns: tuple[re.Pattern[str], ...]
    needles: frozenset[str]  # the words of the word patterns
    expressions: re.Pattern[str] | None  # one expression of the ``re:`` ones (None if none)
    combined: re.Pattern[str] | None  # one pattern for all of them (None if they cannot be joined)

    @classmethod
    def of(cls, patterns: tuple[re.Pattern[str], ...]) -> "_Check":
        needles, expressions = _split(patterns)
        return cls(patterns, needles, expressions, _any_of(patterns))


def _found(check: _Check, text: str, negation: Negation | None) -> bool:
    # Most rules match nothing in a given text. When every pattern is a word, a substring test of
    # the words (C speed, no regex) says so first: a contact's ~60 rule checks cost 1.7 ms as regex
    # searches (each of an alternation of its words), a few microseconds as ``in`` tests.
    if check.needles.isdisjoint(_present(text)) and (check.expressions is None
                                                     or check.expressions.search(text) is None):
        return False
    if check.combined is not None:
        if check.combined.search(text) is None:
            return False
        if negation is None:
            return True
    for p in check.patterns:
        for m in p.finditer(text):
            if negation is None or not negation.negates(text, m.start()):
                return True
    return False


@dataclass(frozen=True)
class KindPrior:
    """An urgent flag found in the text adds ``weight`` to ``kind``, unless one of ``unless`` is found."""

    id: str
    flags: tuple[str, ...]
    kind: str
    weight: float
    unless: tuple[re.Pattern[str], ...] = ()

    def applies(self, text: str, found_flags: set[str]) -> bool:
        return bool(found_flags.intersection(self.flags)) and not any(u.search(text) for u in self.unless)


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
    kind_priors: tuple[KindPrior, ...] = ()
    negation: Negation = field(default_factory=Negation)
    category_kinds: tuple[str, ...] = ()  # kinds that get a category (empty: every kind)
    category_always: tuple[str, ...] = ()  # kinds that always get one (the fallback when nothing matches)
    category_fallback: str | None = None
    category_evidence: dict[str, tuple[str, ...]] = field(default_factory=dict)  # kind -> rule ids, one must fire
    category_tie_break: tuple[str, ...] = ()


@dataclass(frozen=True)
class Classification:
    kind: str
    category: str | None
    urgent_flags: tuple[str, ...]
    rules: tuple[str, ...] = field(default=())
    scores: dict[str, float] = field(default_factory=dict)


def _compile(words: list[str], where: str) -> tuple[re.Pattern[str], ...]:
    if not isinstance(words, list) or not all(isinstance(w, str) and w for w in words):
        raise ValueError(f"{where}: expected a list of non-empty strings")
    out = []
    for word in words:
        if word.startswith("re:"):
            try:
                out.append(re.compile(word[3:], re.IGNORECASE))
            except re.error as exc:
                raise ValueError(f"{where}: bad regular expression {word!r}: {exc}") from exc
            continue  # an expression: no one word it needs
        if word.isascii():
            # word boundaries only where the word itself starts / ends with a word character;
            # an English word ending in a letter also matches its regular inflections
            # ("radiator" -> "radiators", "leak" -> "leaked", "leaking")
            left = r"\b" if re.match(r"\w", word) else ""
            right = r"(?:s|es|d|ed|ing)?\b" if re.search(r"[A-Za-z]$", word) else (r"\b" if re.search(r"\w$", word) else "")
            out.append(re.compile(left + re.escape(word) + right, re.IGNORECASE))
        else:
            out.append(re.compile(re.escape(word)))
        _WORD_OF[out[-1]] = word.casefold()  # a word pattern: what it looks for is the word itself
        if word.casefold() not in _ALL_WORDS:
            _ALL_WORDS.add(word.casefold())
            _BY_FIRST.setdefault(word.casefold()[0], []).append(word.casefold())
            _present.cache_clear()  # texts seen before were checked without it
    return tuple(out)


# The word each compiled word pattern was made from, case-folded (``re:`` patterns have none), and
# all of them (a word is added before any text is classified with it: ``_present`` reads them all).
_WORD_OF: dict[re.Pattern[str], str] = {}
_ALL_WORDS: set[str] = set()
_BY_FIRST: dict[str, list[str]] = {}  # the same words by their first character
_ALWAYS = re.compile("")  # matches every text


@lru_cache(maxsize=64)
def _present(text: str) -> frozenset[str]:
    """Which of all the taxonomies' words occur in ``text`` (case-folded): one pass per text, so each
    rule's check is a set intersection instead of a loop over its words. Only the words that start
    with a character of the text are looked for: a Chinese contact's few dozen characters start a
    small part of the ~1,900 words (7 us a text instead of 78)."""
    folded = text.casefold()
    return frozenset(word for first in set(folded) for word in _BY_FIRST.get(first, ()) if word in folded)


@lru_cache(maxsize=4096)
def _split(patterns: tuple[re.Pattern[str], ...]) -> tuple[frozenset[str], re.Pattern[str] | None]:
    """``patterns`` as the words they look for and one expression of the ``re:`` ones (None if none).

    A word pattern matches only where its word occurs, case-insensitively: a text whose
    case-folded form contains none of the words, and that no expression matches, cannot
    match (boundaries, inflections and negations are checked after, by the patterns).
    """
    words = frozenset(w for p in patterns if (w := _WORD_OF.get(p)) is not None)
    expressions = tuple(p for p in patterns if p not in _WORD_OF)
    if not expressions:
        return words, None
    # expressions that cannot be joined (mixed flags): the rule is always a candidate, its patterns decide
    return words, _any_of(expressions) or _ALWAYS


@lru_cache(maxsize=4096)
def _any_of(patterns: tuple[re.Pattern[str], ...]) -> re.Pattern[str] | None:
    """One pattern that matches somewhere exactly when one of ``patterns`` does (None if they cannot be joined)."""
    parts = []
    for p in patterns:
        flags = p.flags & ~re.UNICODE
        if flags == 0:
            parts.append(f"(?:{p.pattern})")
        elif flags == re.IGNORECASE:
            parts.append(f"(?i:{p.pattern})")
        else:
            return None
    try:
        return re.compile("|".join(parts)) if parts else None
    except re.error:
        return None


_RULE_KEYS = {"id", "any", "all", "unless", "weight", "negatable", "kinds", "fallback"}


def _rules(entries: list[dict[str, Any]], key: str, default_kinds: tuple[str, ...] = ()) -> tuple[Rule, ...]:
    rules = []
    for e in entries:
        rid = e.get("id")
        if not isinstance(rid, str) or not rid:
            raise ValueError(f"a {key} rule has no id")
        unknown = set(e) - _RULE_KEYS - {key}
        if unknown:
            raise ValueError(f"rule {rid} has unknown fields {sorted(unknown)}")
        if key not in e:
            raise ValueError(f"rule {rid} names no {key}")
        if not e.get("any") and not e.get("all"):
            raise ValueError(f"rule {rid} has neither 'any' nor 'all' words")
        groups = e.get("all", [])
        if not isinstance(groups, list) or not all(isinstance(g, list) and g for g in groups):
            raise ValueError(f"rule {rid}: 'all' must be a list of non-empty word lists")
        if "kinds" in e and key == "kind":
            raise ValueError(f"rule {rid}: 'kinds' applies to category and urgent rules only")
        weight = e.get("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight <= 0:
            raise ValueError(f"rule {rid}: weight must be a positive number")
        negatable = e.get("negatable", False)
        if not isinstance(negatable, bool):
            raise ValueError(f"rule {rid}: negatable must be true or false")
        fallback = e.get("fallback", False)
        if not isinstance(fallback, bool):
            raise ValueError(f"rule {rid}: fallback must be true or false")
        if fallback and key != "kind":
            raise ValueError(f"rule {rid}: 'fallback' applies to kind rules only")
        rules.append(
            Rule(
                id=rid,
                target=e[key],
                weight=float(weight),
                patterns=_compile(e.get("any", []), rid),
                unless=_compile(e.get("unless", []), rid),
                groups=tuple(_compile(g, rid) for g in groups),
                negatable=negatable,
                fallback=fallback,
                kinds=tuple(e["kinds"]) if "kinds" in e else default_kinds,
            )
        )
    return tuple(rules)


def _names(value: Any, where: str, known: tuple[str, ...]) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where}: expected a list of names")
    for v in value:
        if v not in known:
            raise ValueError(f"{where} names unknown target {v!r}")
    return tuple(value)


def parse_taxonomy(data: dict[str, Any]) -> Taxonomy:
    """Build a taxonomy from its TOML data, checking every name a rule or setting uses."""
    kinds = tuple(data["kinds"]["priority"])
    categories = tuple(data["categories"]["names"])
    flags = tuple(data["urgent"]["names"])
    for what, names in (("kinds", kinds), ("categories", categories), ("urgent flags", flags)):
        if len(names) != len(set(names)):
            raise ValueError(f"{what} must be unique")
    default_kind = data["kinds"]["default"]
    if default_kind not in kinds:
        raise ValueError(f"default kind names unknown target {default_kind!r}")

    cat = data["categories"]
    cat_kinds = _names(cat.get("kinds", []), "[categories] kinds", kinds)
    cat_always = _names(cat.get("always", []), "[categories] always", kinds)
    fallback = cat.get("fallback")
    if fallback is not None and fallback not in categories:
        raise ValueError(f"[categories] fallback names unknown target {fallback!r}")
    if cat_always and fallback is None:
        raise ValueError("[categories] always needs a fallback category")
    if cat_kinds and not set(cat_always) <= set(cat_kinds):
        raise ValueError("[categories] always must be among [categories] kinds")
    evidence = cat.get("evidence", {})
    if not isinstance(evidence, dict):
        raise ValueError("[categories] evidence must be a table: kind = [kind rule ids]")
    _names(list(evidence), "[categories] evidence", kinds)
    for k, v in evidence.items():
        if not isinstance(v, list) or not v or not all(isinstance(i, str) for i in v):
            raise ValueError(f"[categories] evidence for {k!r} must be a non-empty list of rule ids")
    tie_break = _names(cat.get("tie_break", list(categories)), "[categories] tie_break", categories)
    if set(tie_break) != set(categories):
        raise ValueError("[categories] tie_break must list every category once")

    urgent_kinds = _names(data["urgent"].get("kinds", []), "[urgent] kinds", kinds)

    neg = data.get("negation", {})
    negation = Negation(
        prefixes=tuple(neg.get("prefixes", [])),
        window=int(neg.get("window", 3)),
        words=tuple(w.lower() for w in neg.get("words", [])),
        words_window=int(neg.get("words_window", 3)),
        not_negations=tuple(neg.get("not_negations", [])),
    )
    for what in ("prefixes", "words", "not_negations"):
        value = neg.get(what, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ValueError(f"[negation] {what} must be a list of non-empty strings")
    if negation.window < 0 or negation.words_window < 0:
        raise ValueError("[negation] windows must not be negative")

    priors = []
    for e in data.get("kind_prior", []):
        pid = e.get("id")
        if not isinstance(pid, str) or not pid:
            raise ValueError("a kind_prior has no id")
        unknown = set(e) - {"id", "flags", "kind", "weight", "unless"}
        if unknown:
            raise ValueError(f"kind_prior {pid} has unknown fields {sorted(unknown)}")
        if e.get("kind") not in kinds:
            raise ValueError(f"kind_prior {pid} names unknown target {e.get('kind')!r}")
        weight = e.get("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight <= 0:
            raise ValueError(f"kind_prior {pid}: weight must be a positive number")
        prior_flags = _names(e.get("flags", []), f"kind_prior {pid}", flags)
        if not prior_flags:
            raise ValueError(f"kind_prior {pid} names no flags")
        priors.append(KindPrior(pid, prior_flags, e["kind"], float(weight), _compile(e.get("unless", []), pid)))

    tax = Taxonomy(
        version=str(data["version"]),
        priority=kinds,
        default_kind=default_kind,
        kind_rules=_rules(data.get("kind_rule", []), "kind"),
        category_rules=_rules(data.get("category_rule", []), "category"),
        urgent_rules=_rules(data.get("urgent_rule", []), "flag", urgent_kinds),
        categories=categories,
        flags=flags,
        kind_priors=tuple(priors),
        negation=negation,
        category_kinds=cat_kinds,
        category_always=cat_always,
        category_fallback=fallback,
        category_evidence={k: tuple(v) for k, v in evidence.items()},
        category_tie_break=tie_break,
    )
    for rules, known in ((tax.kind_rules, kinds), (tax.category_rules, categories), (tax.urgent_rules, flags)):
        for rule in rules:
            if rule.target not in known:
                raise ValueError(f"rule {rule.id} names unknown target {rule.target!r}")
            for k in rule.kinds:
                if k not in kinds:
                    raise ValueError(f"rule {rule.id} names unknown target {k!r} in kinds")
    ids = [r.id for r in (*tax.kind_rules, *tax.category_rules, *tax.urgent_rules)] + [p.id for p in tax.kind_priors]
    if len(ids) != len(set(ids)):
        raise ValueError("rule ids must be unique")
    kind_ids = {r.id for r in (*tax.kind_rules, *tax.urgent_rules)} | {p.id for p in tax.kind_priors}
    for k, rule_ids in tax.category_evidence.items():
        for i in rule_ids:
            if i not in kind_ids:
                raise ValueError(f"[categories] evidence for {k!r} names unknown rule {i!r}")
    return tax


@lru_cache(maxsize=1)
def default_taxonomy() -> Taxonomy:
    text = resources.files("kefu_intake.domain").joinpath("taxonomy.toml").read_text(encoding="utf-8")
    return parse_taxonomy(tomllib.loads(text))


def classify(text: str, agent_kind: str | None = None, taxonomy: Taxonomy | None = None) -> Classification:
    """Classify ``text``; an agent's kind, when given, wins over the rules for the kind."""
    tax = taxonomy or default_taxonomy()
    neg = tax.negation

    # 1. hazards and threats stated in the text (kept or dropped once the kind is known)
    flag_hits = [r for r in tax.urgent_rules if r.matches(text, neg)]
    found_flags = {r.target for r in flag_hits}

    # 2. kind
    scores: dict[str, float] = {}
    kind_fired: list[str] = []
    for rule in tax.kind_rules:
        if not rule.fallback and rule.matches(text, neg):
            scores[rule.target] = scores.get(rule.target, 0.0) + rule.weight
            kind_fired.append(rule.id)
    for prior in tax.kind_priors:
        if prior.applies(text, found_flags):
            scores[prior.kind] = scores.get(prior.kind, 0.0) + prior.weight
            kind_fired.append(prior.id)
    if not kind_fired:  # nothing else said anything: the fallback rules may
        for rule in tax.kind_rules:
            if rule.fallback and rule.matches(text, neg):
                scores[rule.target] = scores.get(rule.target, 0.0) + rule.weight
                kind_fired.append(rule.id)
    if agent_kind:
        kind = agent_kind
        fired = [f"agent:{agent_kind}", *kind_fired]
    elif scores:
        best = max(scores.values())
        kind = next(k for k in tax.priority if scores.get(k) == best)
        fired = kind_fired
    else:
        kind = tax.default_kind
        fired = [*kind_fired, f"default:{kind}"]

    # 3. category
    category = None
    if not tax.category_kinds or kind in tax.category_kinds:
        needed = tax.category_evidence.get(kind)
        evidence = {*kind_fired, *(r.id for r in flag_hits)}
        if needed is None or any(i in evidence for i in needed):
            cat_scores: dict[str, float] = {}
            cat_hits: list[Rule] = []
            for rule in tax.category_rules:
                if rule.allows(kind) and rule.matches(text, neg):
                    cat_scores[rule.target] = cat_scores.get(rule.target, 0.0) + rule.weight
                    cat_hits.append(rule)
            if cat_scores:
                best = max(cat_scores.values())
                category = next(c for c in tax.category_tie_break if cat_scores.get(c) == best)
                fired.extend(r.id for r in cat_hits)
        if category is None and kind in tax.category_always:
            category = tax.category_fallback
            fired.append(f"fallback:{category}")

    # 4. flags the kind allows
    flags: list[str] = []
    for rule in flag_hits:
        if rule.allows(kind):
            fired.append(rule.id)
            if rule.target not in flags:
                flags.append(rule.target)
    return Classification(kind, category, tuple(f for f in tax.flags if f in flags), tuple(fired), scores)

