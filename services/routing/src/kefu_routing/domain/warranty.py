"""Is a defect still under the statutory warranty? Counted from handover, per repair category.

Whether a repair is a free warranty repair by engineering (工程部 / 项目公司)
or a paid service of the property company (有偿服务) depends on it, and owners
argue about it, so the decision says which period applied, from which
handover date and until when. The periods are data (``warranty.toml``),
the statutory minimums of 房屋建筑工程质量保修办法 (Ministry of Construction
order no. 80, 2000), counted from handover (交付) as owners' warranties are.

How the end of a period is counted:

* **Years** are calendar years: a period of 5 years from 2021-06-30 covers
  2026-06-30 too (the last day is covered). A handover on 29 February ends on
  28 February of a year without one: the warranty never runs into March.
* **Heating and cooling seasons** (采暖期, 供冷期): the warranty covers the
  first N heating seasons and the first N cooling seasons that *begin on or
  after* handover, and ends on the last day of whichever of those seasons ends
  last. A season already running at handover does not count as one of the N
  (the owner has not had a whole season of use), but it is covered, as is any
  time between handover and the first season. Season windows differ by region.
* **Design service life** (设计使用年限) of the foundations and main structure:
  calendar years, 50 for an ordinary residential building unless configured.

Without a handover date nothing can be decided: engineering must verify it.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any

FALLBACK_CATEGORY = "other"
_MMDD = re.compile(r"^(\d{2})-(\d{2})$")


@dataclass(frozen=True)
class WarrantyDecision:
    under_warranty: bool | None  # None: the handover date is unknown
    expires_on: date | None  # the last day covered
    reason: str
    rule: str


@dataclass(frozen=True)
class SeasonWindow:
    """A yearly season, first and last day included; it runs into the next year when it ends before it starts."""

    first: tuple[int, int]  # (month, day)
    last: tuple[int, int]

    def __post_init__(self) -> None:
        for month, day in (self.first, self.last):
            try:
                date(2001, month, day)  # a year without 29 February: a season must exist every year
            except ValueError:
                raise ValueError(f"{month:02d}-{day:02d} is not a day of every year") from None
        if self.first == self.last:
            raise ValueError("a season must last more than one day")

    def nth_beginning_on_or_after(self, day: date, n: int) -> tuple[date, date]:
        """First and last day of the ``n``-th season (1-based) that begins on or after ``day``."""
        year = day.year if date(day.year, *self.first) >= day else day.year + 1
        year += n - 1
        last_year = year + 1 if self.last < self.first else year
        return date(year, *self.first), date(last_year, *self.last)


@dataclass(frozen=True)
class WarrantyPeriod:
    """A category's period: exactly one of ``years``, ``seasons`` or ``design_service_life``."""

    category: str
    term: str  # Chinese name, shown in the reason
    years: int | None = None
    seasons: int | None = None
    design_service_life: bool = False

    def __post_init__(self) -> None:
        given = [self.years is not None, self.seasons is not None, self.design_service_life]
        if sum(given) != 1:
            raise ValueError(f"period {self.category}: give exactly one of years, seasons, design_service_life")
        for count in (self.years, self.seasons):
            if count is not None and (type(count) is not int or count < 1):
                raise ValueError(f"period {self.category}: years and seasons must be whole numbers of at least 1")


@dataclass(frozen=True)
class WarrantyPolicy:
    periods: Mapping[str, WarrantyPeriod]  # by category
    heating: SeasonWindow
    cooling: SeasonWindow
    design_service_life_years: int = 50

    def __post_init__(self) -> None:
        if FALLBACK_CATEGORY not in self.periods:
            raise ValueError(f"a warranty policy needs a period for {FALLBACK_CATEGORY!r}, the fallback category")
        if type(self.design_service_life_years) is not int or self.design_service_life_years < 1:
            raise ValueError("design_service_life_years must be a whole number of at least 1")

    def expiry(self, period: WarrantyPeriod, handover: date) -> tuple[date, str]:
        """The last day covered, and how it was counted (for the reason)."""
        if period.years is not None:
            return add_years(handover, period.years), f"{period.years} years"
        if period.seasons is not None:
            n = period.seasons
            heat_first, heat_last = self.heating.nth_beginning_on_or_after(handover, n)
            cool_first, cool_last = self.cooling.nth_beginning_on_or_after(handover, n)
            how = (
                f"{n} heating and {n} cooling seasons (last heating season {heat_first}..{heat_last}, "
                f"last cooling season {cool_first}..{cool_last})"
            )
            return max(heat_last, cool_last), how
        years = self.design_service_life_years
        return add_years(handover, years), f"design service life {years} years"


def add_years(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February becomes 28 February in a year without one."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _require_date(value: date, what: str) -> None:
    # A datetime is a date too, but comparing it with a date fails, and which day it is depends
    # on its zone: the caller must turn it into the local date first.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{what} must be a date (the local calendar day), got {value!r}")


def decide_warranty(
    category: str | None, handover: date | None, on: date, policy: WarrantyPolicy | None = None
) -> WarrantyDecision:
    """Whether a defect of ``category`` reported ``on`` a day is under warranty for a home handed over on ``handover``.

    No category, or one the policy does not know, is counted as ``other``.
    A day before handover is covered: the developer must remedy defects before it
    delivers the home, whatever the warranty.
    """
    policy = policy or default_warranty_policy()
    _require_date(on, "on")
    period = policy.periods.get(category or FALLBACK_CATEGORY)
    note = ""
    if period is None:
        period = policy.periods[FALLBACK_CATEGORY]
        note = f" (category {category!r} is not in the warranty table: counted as {FALLBACK_CATEGORY})"
    if handover is None:
        return WarrantyDecision(
            None,
            None,
            f"{period.term}{note}: handover date (交付日期) unknown; engineering must verify it before deciding",
            "warranty.handover_unknown",
        )
    _require_date(handover, "handover")
    expires_on, how = policy.expiry(period, handover)
    counted = f"{period.term} {how} from handover {handover}{note}"
    if on < handover:
        return WarrantyDecision(
            True,
            expires_on,
            f"{counted}: {on} is before handover (交付前); the developer remedies defects before delivery",
            "warranty.before_handover",
        )
    covered = on <= expires_on
    return WarrantyDecision(
        covered, expires_on, f"{counted}: {'until' if covered else 'ended'} {expires_on}", f"warranty.{period.category}"
    )


def _window(value: Any, where: str) -> SeasonWindow:
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected {{ from = \"MM-DD\", to = \"MM-DD\" }}")
    ends = []
    for key in ("from", "to"):
        raw = value.get(key)
        match = _MMDD.match(raw) if isinstance(raw, str) else None
        if match is None:
            raise ValueError(f"{where}.{key}: expected \"MM-DD\", got {raw!r}")
        ends.append((int(match[1]), int(match[2])))
    try:
        return SeasonWindow(ends[0], ends[1])
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def _seasons(table: Any, where: str) -> dict[str, SeasonWindow]:
    if not isinstance(table, dict) or not set(table) <= {"heating", "cooling"}:
        raise ValueError(f"{where}: expected a table with heating and/or cooling")
    return {name: _window(value, f"{where}.{name}") for name, value in table.items()}


def parse_warranty_policy(data: dict[str, Any], region: str | None = None) -> WarrantyPolicy:
    seasons = _seasons(data.get("seasons", {}), "seasons")
    if set(seasons) != {"heating", "cooling"}:
        raise ValueError("[seasons] needs both heating and cooling")
    regions = {
        name: _seasons(table.get("seasons", {}), f"regions.{name}.seasons")
        for name, table in data.get("regions", {}).items()
    }
    if region is not None:
        if region not in regions:
            raise ValueError(f"unknown warranty region {region!r}; known: {', '.join(sorted(regions)) or 'none'}")
        seasons |= regions[region]

    periods: dict[str, WarrantyPeriod] = {}
    for p in data.get("period", []):
        category, term = p.get("category"), p.get("term")
        if not isinstance(category, str) or not category or not isinstance(term, str) or not term:
            raise ValueError(f"every period needs a category and a term, got {p!r}")
        if category in periods:
            raise ValueError(f"period {category} is given twice")
        unknown = set(p) - {"category", "term", "years", "seasons", "design_service_life"}
        if unknown:
            raise ValueError(f"period {category} has unknown fields {sorted(unknown)}")
        if type(p.get("design_service_life", False)) is not bool:
            raise ValueError(f"period {category}: design_service_life must be true or false")
        periods[category] = WarrantyPeriod(
            category, term, p.get("years"), p.get("seasons"), p.get("design_service_life", False)
        )
    return WarrantyPolicy(periods, seasons["heating"], seasons["cooling"], data.get("design_service_life_years", 50))


@cache
def default_warranty_policy(region: str | None = None) -> WarrantyPolicy:
    """The shipped policy; ``region`` picks the region's season windows from ``warranty.toml``."""
    text = resources.files("kefu_routing.domain").joinpath("warranty.toml").read_text(encoding="utf-8")
    return parse_warranty_policy(tomllib.loads(text), region)
