"""The points ledger's arithmetic: balance, FIFO expiry, and what earns points (rules as data).

The ledger is append-only: a credit is a positive entry, a redemption or an
expiry a negative one, and the balance is their sum. Nothing is ever updated in
place, which is what makes it safe with several writers and easy to audit.

Expiry is FIFO: every debit spends the oldest points first, so the points still
left from credits old enough to expire are ``old credits - all debits so far``
(never below zero). Run once per member and month, that is exactly the
unspent remainder of the credits whose time is up.
"""

from __future__ import annotations

import calendar
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from importlib import resources
from typing import Any

# Months of the club run on Beijing time (China has no daylight saving).
CLUB_TZ = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class Entry:
    points: int  # positive: credit; negative: redemption or expiry
    at: datetime


class NotEnoughPoints(ValueError):
    """A debit larger than the balance."""


def balance(entries: Iterable[Entry]) -> int:
    return sum(e.points for e in entries)


def require_debit(entries: Iterable[Entry], amount: int) -> None:
    """Raise ``NotEnoughPoints`` unless ``amount`` (> 0) can be spent from the balance."""
    if amount <= 0:
        raise ValueError(f"a debit is a positive amount of points, got {amount}")
    have = balance(entries)
    if amount > have:
        raise NotEnoughPoints(f"needs {amount} points, the balance is {have}")


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` moved by whole calendar months (the day clamped to the month's end)."""
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def expiry_period(now: datetime) -> tuple[str, datetime]:
    """The expiry period ``now`` falls in: its key (``YYYY-MM``) and its first instant."""
    local = now.astimezone(CLUB_TZ)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return f"{start.year:04d}-{start.month:02d}", start


def expiring(entries: Iterable[Entry], period_start: datetime, months: int) -> int:
    """Points to expire in the period starting at ``period_start``: unspent credits whose months are up.

    A credit earned at ``t`` is up when ``t + months <= period_start`` (on the
    boundary it expires).
    """
    cutoff = add_months(period_start, -months)
    entries = list(entries)
    old_credits = sum(e.points for e in entries if e.points > 0 and e.at <= cutoff)
    spent = -sum(e.points for e in entries if e.points < 0)
    return max(0, old_credits - spent)


@dataclass(frozen=True)
class EarnRules:
    expiry_months: int
    event_checkin: int
    referral: int
    survey: Mapping[str, int]  # survey kind -> points, with "default"

    def __post_init__(self) -> None:
        if self.expiry_months < 1:
            raise ValueError("expiry_months must be at least 1")
        for what, n in {"event_checkin": self.event_checkin, "referral": self.referral, **self.survey}.items():
            if type(n) is not int or n < 0:
                raise ValueError(f"points for {what} must be a whole number >= 0, got {n!r}")
        if "default" not in self.survey:
            raise ValueError("[earn.survey] needs a `default`")

    def for_survey(self, kind: str) -> int:
        return self.survey.get(kind, self.survey["default"])


def parse_earn_rules(data: dict[str, Any]) -> EarnRules:
    earn = data.get("earn", {})
    try:
        return EarnRules(
            expiry_months=data["expiry_months"],
            event_checkin=earn["event_checkin"],
            referral=earn["referral"],
            survey=dict(earn["survey"]),
        )
    except KeyError as exc:
        raise ValueError(f"points rules need {exc.args[0]!r}") from None


@lru_cache(maxsize=1)
def default_earn_rules() -> EarnRules:
    text = resources.files("kefu_membership.domain").joinpath("points.toml").read_text(encoding="utf-8")
    return parse_earn_rules(tomllib.loads(text))
