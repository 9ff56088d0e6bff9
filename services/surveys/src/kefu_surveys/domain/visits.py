"""When a return visit is owed, on which channel, what happens when nobody answers, what counts as dissatisfied.

* A completed repair is owed a return visit (回访) within ``repair_due_after`` (24 h) of its
  completion; a closed complaint within ``complaint_due_after`` (48 h) of its closure.
* A closure counts as a complaint's when the case is a complaint or carries a complaint level
  (a repair that was escalated). A closure made by a satisfied return visit itself (actor
  ``surveys``) owes no second visit: the owner has just told us.
* An unanswered survey is retried once on the next channel (``policy.toml``), then it is
  unreachable for good.
* Dissatisfied is CSAT <= 2 or "not solved": routing reopens and escalates on it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Literal

from .questionnaires import KINDS

if TYPE_CHECKING:
    from .surveys import Channel, Contact

CHANNELS = ("phone", "sms", "wechat", "email")
MAX_ATTEMPTS = 2
DISSATISFIED_CSAT = 2
SURVEYS_ACTOR = "surveys"


@dataclass(frozen=True)
class Policy:
    questionnaire: dict[str, str]  # survey kind -> questionnaire id
    channels: dict[str, tuple[str, ...]]  # survey kind -> preferred channels
    retry: dict[str, str]  # channel -> channel of the one retry

    def __post_init__(self) -> None:
        for table, name in ((self.questionnaire, "questionnaire"), (self.channels, "channels")):
            if set(table) != set(KINDS):
                raise ValueError(f"[{name}] must name every survey kind {KINDS}, got {sorted(table)}")
        for kind, channels in self.channels.items():
            if not channels or set(channels) - set(CHANNELS):
                raise ValueError(f"[channels] {kind}: channels are some of {CHANNELS}, got {channels!r}")
        if set(self.retry) != set(CHANNELS) or set(self.retry.values()) - set(CHANNELS):
            raise ValueError(f"[retry] must map every channel {CHANNELS} to a channel")
        if any(src == dst for src, dst in self.retry.items()):
            raise ValueError("[retry] a retry must use another channel")


def parse_policy(data: dict[str, Any]) -> Policy:
    return Policy(dict(data.get("questionnaire", {})),
                  {k: tuple(v) for k, v in data.get("channels", {}).items()},
                  dict(data.get("retry", {})))


@lru_cache(maxsize=1)
def default_policy() -> Policy:
    text = resources.files("kefu_surveys.domain").joinpath("policy.toml").read_text(encoding="utf-8")
    return parse_policy(tomllib.loads(text))


def repair_visit_due(completed_at: datetime, due_after: timedelta) -> datetime:
    """A finished repair's return visit is due ``due_after`` after completion."""
    _aware(completed_at)
    return completed_at + due_after


def complaint_visit_due(closed_at: datetime, due_after: timedelta) -> datetime:
    """A closed complaint's return visit is due ``due_after`` after the closure."""
    _aware(closed_at)
    return closed_at + due_after


def is_complaint_closure(status: str, kind: str, level: int | None, actor: str) -> bool:
    """A case.status_changed that owes a complaint return visit."""
    return status == "closed" and (kind == "complaint" or bool(level)) and actor != SURVEYS_ACTOR


def is_dissatisfied(csat: int | None, solved: bool | None) -> bool:
    """What routing reopens and escalates on (CSAT 1-2, or the problem not solved)."""
    return (csat is not None and csat <= DISSATISFIED_CSAT) or solved is False


def first_channel(kind: str, contact: Contact, policy: Policy | None = None) -> Channel:
    """The first preferred channel the known contact allows; an agent's phone call when none does."""
    policy = policy or default_policy()
    for channel in policy.channels[kind]:
        if reachable(channel, contact):
            return channel
    return "phone"


def reachable(channel: str, contact: Contact) -> bool:
    need = {"phone": "phone", "sms": "phone", "wechat": "wechat_openid", "email": "email"}[channel]
    return bool(getattr(contact, need))


@dataclass(frozen=True)
class Expiry:
    """What an expired attempt leads to: a retry on ``channel`` or the end (unreachable)."""

    outcome: Literal["retry", "unreachable"]
    channel: str | None = None


def on_expiry(attempt: int, channel: str, policy: Policy | None = None) -> Expiry:
    """The first expiry is retried once on the next channel; the second is final."""
    if attempt >= MAX_ATTEMPTS:
        return Expiry("unreachable")
    return Expiry("retry", (policy or default_policy()).retry[channel])


def _aware(at: datetime) -> None:
    if at.tzinfo is None:
        raise ValueError("times must carry their UTC offset")
