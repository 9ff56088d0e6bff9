"""Which reports make a group complaint (群诉), and when in-unit repairs are a batch defect instead.

A group complaint is several owners about ONE SHARED problem (the exterior wall,
the roof, the lifts, the garage, the water pressure, a broken promise): it goes
to level 3 at once, for the general manager. Three owners each asking for their
own kitchen tap to be repaired is not that: it was measured as a level-3 group
and it is at most a hint for engineering that one batch of taps is bad.

So complaints count as before, repairs only when the problem is shared (a shared
category, a shared building element, or the owners say they act together), and
repeated in-unit repairs of one category in one building make a batch-defect
signal rather than an escalation. What counts as shared, in-unit, which words
name a shared element, and the batch threshold and window are data
(``groups.toml``, documented in ``docs/group-rule.md``).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any

from .complaints import ComplaintRef, GroupPolicy, find_group

COMPLAINT, REPAIR = "complaint", "repair"


@dataclass(frozen=True)
class GroupRule:
    shared_categories: frozenset[str]  # building-level / public-area: one problem whoever reports it
    in_unit_categories: frozenset[str]  # inside one home: each owner's own
    elements: Mapping[str, tuple[str, ...]]  # shared building element -> words that name it in a report
    group_flag: str  # the urgent flag that makes any repair count (owners acting together)
    batch_min_owners: int  # different owners of a building whose in-unit repairs suggest a batch defect
    batch_window: timedelta  # ... within this long; also: one signal per building and category per window

    def __post_init__(self) -> None:
        both = self.shared_categories & self.in_unit_categories
        if both:
            raise ValueError(f"a category is both shared and in-unit: {sorted(both)}")
        if not self.group_flag:
            raise ValueError("group_flag must name an urgent flag")
        for element, words in self.elements.items():
            if not element or not words or not all(isinstance(w, str) and w.strip() for w in words):
                raise ValueError(f"element {element!r} needs at least one non-empty word")
        if type(self.batch_min_owners) is not int or self.batch_min_owners < 2:
            raise ValueError("a batch defect needs at least 2 owners")
        if self.batch_window <= timedelta(0):
            raise ValueError(f"the batch window must be longer than nothing, got {self.batch_window}")

    @property
    def batch_policy(self) -> GroupPolicy:
        return GroupPolicy(self.batch_min_owners, self.batch_window)


def _pattern(word: str) -> re.Pattern[str]:
    """Chinese words match literally; ASCII words on word boundaries ("lift" is not in "uplift")."""
    escaped = re.escape(word.strip())
    if word.isascii():
        return re.compile(rf"(?<![A-Za-z0-9]){escaped}(?![A-Za-z0-9])", re.IGNORECASE)
    return re.compile(escaped)


@lru_cache(maxsize=64)
def _patterns(elements: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[tuple[str, tuple[re.Pattern[str], ...]], ...]:
    return tuple((element, tuple(_pattern(w) for w in words)) for element, words in elements)


def element_of(given: str | None, text: str, rule: GroupRule) -> str | None:
    """The shared building element a report is about: the one the event names, else the first in the
    rule whose word appears in the text, else None (in-unit, or not known)."""
    if given and given.strip():
        return given.strip()
    for element, patterns in _patterns(tuple(rule.elements.items())):
        if any(p.search(text) for p in patterns):
            return element
    return None


def counts_for_group(ref: ComplaintRef, rule: GroupRule) -> bool:
    """Whether the report counts toward a group complaint: every complaint; a repair only when shared.

    An element the event names counts only if the rule lists it as shared: an owner's "kitchen_tap" is
    no shared element.
    """
    if ref.kind == COMPLAINT:
        return True
    if ref.kind != REPAIR:
        return False
    return (ref.category in rule.shared_categories or (ref.element is not None and ref.element in rule.elements)
            or rule.group_flag in ref.flags)


def suspects_batch(ref: ComplaintRef, rule: GroupRule) -> bool:
    """Whether the report is an in-unit repair that may be one of a batch defect (and so no group member)."""
    return (ref.kind == REPAIR and ref.category in rule.in_unit_categories and not counts_for_group(ref, rule)
            and bool(ref.project and ref.building))


@dataclass(frozen=True)
class BatchDefect:
    """A suspected batch defect: ``members`` (oldest first) are in-unit repairs of one category in one building."""

    project: str
    building: str
    category: str
    members: tuple[ComplaintRef, ...]

    @property
    def lead(self) -> ComplaintRef:
        return self.members[0]

    @property
    def owners(self) -> int:
        return len({m.customer_id for m in self.members})


def find_batch_defects(
    new: Sequence[ComplaintRef], recent: Sequence[ComplaintRef], signalled: Sequence[datetime], rule: GroupRule,
) -> list[BatchDefect]:
    """The batch defects the ``new`` repairs complete and nobody signalled yet, oldest first.

    ``new`` and ``recent`` are repairs of one building and category (``recent`` may hold ``new`` too, and
    reports that are no suspects: only in-unit repairs count). ``signalled``: when the earlier signals
    of this building and category start (their first report). A burst is found as a group is
    (``find_group``: at least ``batch_min_owners`` owners in one window, whatever order the reports are
    processed in), and a burst starting within one window of a signal is that signal's: one signal per
    building and category per window. Usually one or none; more only when ``new`` spans windows.
    """
    suspects = {r.case_id: r for r in recent if suspects_batch(r, rule)}
    suspects.update((r.case_id, r) for r in new if suspects_batch(r, rule))
    starts = list(signalled)
    found: list[BatchDefect] = []
    for ref in sorted((r for r in new if r.case_id in suspects), key=lambda r: (r.opened_at, r.case_id)):
        members = find_group(ref, list(suspects.values()), rule.batch_policy)
        if not members or any(abs(members[0].opened_at - at) <= rule.batch_window for at in starts):
            continue
        assert ref.project and ref.building and ref.category  # suspects_batch and the group key ask for them
        found.append(BatchDefect(ref.project, ref.building, ref.category, tuple(members)))
        starts.append(members[0].opened_at)
    return found


def parse_group_rule(data: dict[str, Any]) -> GroupRule:
    categories = data.get("categories", {})
    batch = data.get("batch", {})
    elements: dict[str, tuple[str, ...]] = {}
    for element, words in data.get("elements", {}).items():
        if not isinstance(words, list):
            raise ValueError(f"elements.{element}: expected a list of words, got {words!r}")
        elements[element] = tuple(words)
    for name in ("shared", "in_unit"):
        if not isinstance(categories.get(name, []), list):
            raise ValueError(f"categories.{name}: expected a list of categories")
    days = batch.get("window_days")
    if not isinstance(days, (int, float)) or isinstance(days, bool):
        raise ValueError(f"batch.window_days: expected a number of days, got {days!r}")
    return GroupRule(
        shared_categories=frozenset(categories.get("shared", [])),
        in_unit_categories=frozenset(categories.get("in_unit", [])),
        elements=elements,
        group_flag=data.get("group_flag", ""),
        batch_min_owners=batch.get("min_owners"),
        batch_window=timedelta(days=days),
    )


def load_group_rule(text: str) -> GroupRule:
    return parse_group_rule(tomllib.loads(text))


@lru_cache(maxsize=1)
def default_group_rule() -> GroupRule:
    return load_group_rule(
        resources.files("kefu_routing.domain").joinpath("groups.toml").read_text(encoding="utf-8"))
