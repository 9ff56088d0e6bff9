"""Who in a department gets a case: the one with the fewest open cases, in turn on a tie.

Fewest open cases first keeps the work even when people finish at different
speeds; round robin on a tie keeps it fair when they are even (otherwise the
first person on the roster would get every case on a quiet morning, when all
have none). The rosters are data (``staff.toml``).
"""

from __future__ import annotations

import tomllib
from collections.abc import Collection, Mapping, Sequence
from functools import lru_cache
from importlib import resources
from typing import Any

from .assignment import default_rules


def choose_assignee(people: Sequence[str], open_cases: Mapping[str, int], last_assigned: str | None) -> str:
    """The person in ``people`` (the roster, in order) to give the next case to.

    The fewest open cases wins (someone missing from ``open_cases`` has none).
    Among those tied, the first after ``last_assigned`` in roster order,
    wrapping round; from the top when ``last_assigned`` is None or has left.
    """
    if not people:
        raise ValueError("nobody to assign the case to: the roster is empty")
    if len(set(people)) != len(people):
        raise ValueError("a roster names each person once")
    fewest = min(open_cases.get(p, 0) for p in people)
    start = people.index(last_assigned) + 1 if last_assigned is not None and last_assigned in people else 0
    in_turn = [*people[start:], *people[:start]]
    return next(p for p in in_turn if open_cases.get(p, 0) == fewest)


def parse_roster(data: dict[str, Any], departments: Collection[str]) -> dict[str, tuple[str, ...]]:
    """The rosters by department; every one of ``departments`` needs one, and nobody is in two."""
    rosters = data.get("departments", {})
    unknown = sorted(set(rosters) - set(departments))
    if unknown:
        raise ValueError(f"staff.toml names unknown departments {unknown}")
    missing = sorted(set(departments) - set(rosters))
    if missing:
        raise ValueError(f"departments without a roster: {missing}")
    seen: dict[str, str] = {}
    result: dict[str, tuple[str, ...]] = {}
    for department, people in rosters.items():
        if not isinstance(people, list) or not people or not all(isinstance(p, str) and p for p in people):
            raise ValueError(f"the roster of {department} must be a non-empty list of staff ids")
        for person in people:
            if person in seen:
                raise ValueError(f"{person} is on the roster twice ({seen[person]} and {department})")
            seen[person] = department
        result[department] = tuple(people)
    return result


@lru_cache(maxsize=1)
def _shipped_roster() -> dict[str, tuple[str, ...]]:
    text = resources.files("kefu_routing.domain").joinpath("staff.toml").read_text(encoding="utf-8")
    return parse_roster(tomllib.loads(text), default_rules().departments)


def default_roster() -> dict[str, tuple[str, ...]]:
    """The shipped rosters, for the departments of the shipped assignment rules (a copy: change it freely)."""
    return dict(_shipped_roster())
