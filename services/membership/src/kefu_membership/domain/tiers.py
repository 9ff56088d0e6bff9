"""Club tiers (普通 / 银卡 / 金卡 / 钻石) as data, and which one a member has reached.

A member's tier is a function of what can be counted about them now (points
balance, properties, full years of membership), so it is recomputed whenever one
of those changes rather than stepped up and down by events. The rules are data
(``tiers.toml``, or a replacement file): the club changes its thresholds without
a release.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Any

MEASURES = ("points", "properties", "years")


@dataclass(frozen=True)
class Standing:
    """What tiers are decided on."""

    points: int
    properties: int
    years: int


@dataclass(frozen=True)
class Tier:
    id: str
    name: str
    vip: bool
    when: tuple[dict[str, int], ...]  # any clause; each clause: all of its minimums

    def reached(self, s: Standing) -> bool:
        return any(all(getattr(s, measure) >= least for measure, least in clause.items()) for clause in self.when)


@dataclass(frozen=True)
class TierTable:
    tiers: tuple[Tier, ...]  # lowest first

    def __post_init__(self) -> None:
        if not self.tiers:
            raise ValueError("the tier table needs at least one tier")
        if len({t.id for t in self.tiers}) != len(self.tiers):
            raise ValueError("tier ids must be unique")
        base, *higher = self.tiers
        if base.when:
            raise ValueError(f"the first tier ({base.id}) is where members start: it takes no conditions")
        for tier in higher:
            if not tier.when:
                raise ValueError(f"tier {tier.id} needs at least one `when` clause")

    @property
    def base(self) -> Tier:
        return self.tiers[0]

    def tier_for(self, standing: Standing) -> Tier:
        """The highest tier any of whose clauses the standing meets."""
        return next((t for t in reversed(self.tiers) if t.reached(standing)), self.base)

    def get(self, tier_id: str) -> Tier:
        for tier in self.tiers:
            if tier.id == tier_id:
                return tier
        raise KeyError(f"unknown tier {tier_id!r}")

    def rank(self, tier_id: str) -> int:
        return self.tiers.index(self.get(tier_id))

    def at_least(self, tier_id: str, minimum: str) -> bool:
        """Whether ``tier_id`` is ``minimum`` or above (offers are open from a tier up)."""
        return self.rank(tier_id) >= self.rank(minimum)


def full_years(since: datetime, now: datetime) -> int:
    """Whole years from ``since`` to ``now`` (an anniversary counts on its day)."""
    years = now.year - since.year
    if (now.month, now.day) < (since.month, since.day):
        years -= 1
    return max(years, 0)


def _clause(tier_id: str, raw: Any) -> dict[str, int]:
    if not isinstance(raw, dict) or not raw:
        raise ValueError(f"tier {tier_id}: a `when` clause is a table of minimums, got {raw!r}")
    for measure, least in raw.items():
        if measure not in MEASURES:
            raise ValueError(f"tier {tier_id}: unknown measure {measure!r} (known: {', '.join(MEASURES)})")
        if type(least) is not int or least < 0:
            raise ValueError(f"tier {tier_id}: {measure} must be a whole number >= 0, got {least!r}")
    return dict(raw)


def parse_tier_table(data: dict[str, Any]) -> TierTable:
    tiers = []
    for raw in data.get("tier", []):
        tier_id = raw.get("id")
        if not isinstance(tier_id, str) or not tier_id:
            raise ValueError(f"every tier needs an id, got {raw!r}")
        vip = raw.get("vip", False)
        if not isinstance(vip, bool):
            raise ValueError(f"tier {tier_id}: vip is true or false, got {vip!r}")
        when = tuple(_clause(tier_id, c) for c in raw.get("when", []))
        tiers.append(Tier(tier_id, raw.get("name", tier_id), vip, when))
    return TierTable(tuple(tiers))


@lru_cache(maxsize=1)
def default_tier_table() -> TierTable:
    text = resources.files("kefu_membership.domain").joinpath("tiers.toml").read_text(encoding="utf-8")
    return parse_tier_table(tomllib.loads(text))
