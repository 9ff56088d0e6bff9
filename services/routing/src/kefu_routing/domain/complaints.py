"""Complaint levels (投诉等级), escalation, repeat and group complaints (群诉).

A complaint has a level from 1 (ordinary) to 3 (major). The level decides who
approves the handling plan (the CS manager for level 1, the general manager for
levels 2 and 3) and how fast it must be answered, so it only ever goes up:
lowering it would take a complaint away from the person who must approve it.

It goes up at once for what the seeds say to escalate at once (emergencies,
serious complaints, group complaints) and later when the handling fails (a
deadline missed, the owner complains again, a return visit finds the owner
dissatisfied). What each reason does is data (``complaints.toml``). A reason
that would not raise the level returns the current level: the caller then has
nothing to announce.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any

from .calendar import require_aware

LEVELS = (1, 2, 3)
MANUAL = "manual"
REASONS = frozenset(
    {"sla_breach", "group_complaint", "repeat_complaint", "dissatisfied_return_visit", "urgent_keyword", "vip", MANUAL}
)
URGENT_KEYWORD, VIP = "urgent_keyword", "vip"
REPEAT_WINDOW = timedelta(days=30)


def _require_level(level: int, what: str = "level") -> None:
    if type(level) is not int or level not in LEVELS:
        raise ValueError(f"{what} must be one of {LEVELS}, got {level!r}")


@dataclass(frozen=True)
class ComplaintPolicy:
    flag_levels: Mapping[str, int]  # urgent flag -> the level a new complaint with it starts at
    vip_level: int  # the least level of a VIP owner's complaint
    steps: frozenset[str]  # reasons that raise the level by one
    at_least: Mapping[str, int]  # reasons that raise the level to at least this
    approvers: Mapping[int, str]  # level -> role that approves the handling plan

    def __post_init__(self) -> None:
        for flag, level in self.flag_levels.items():
            _require_level(level, f"the level of flag {flag}")
        _require_level(self.vip_level, "the VIP level")
        for reason, level in self.at_least.items():
            _require_level(level, f"the level of reason {reason}")
        given = sorted(self.steps) + sorted(self.at_least)
        if len(given) != len(set(given)):
            raise ValueError("a reason is both a step and an at_least rule")
        if set(given) != REASONS - {MANUAL}:
            raise ValueError(f"escalation must say what every reason but manual does; got {sorted(given)}")
        if set(self.approvers) != set(LEVELS) or not all(self.approvers.values()):
            raise ValueError(f"approvers must name a role for each level {LEVELS}")


def initial_level(
    urgent_flags: Sequence[str], vip: bool, policy: ComplaintPolicy | None = None
) -> tuple[int, str | None]:
    """The level a new complaint starts at, and the escalation reason when above 1.

    When a flag and VIP status give the same level the reason is
    ``urgent_keyword``: what the complaint says is what its handler must act on.
    """
    policy = policy or default_complaint_policy()
    by_flag = max((policy.flag_levels.get(flag, 1) for flag in urgent_flags), default=1)
    by_vip = policy.vip_level if vip else 1
    if by_flag > 1 and by_flag >= by_vip:
        return by_flag, URGENT_KEYWORD
    if by_vip > 1:
        return by_vip, VIP
    return 1, None


def escalate(current: int, reason: str, policy: ComplaintPolicy | None = None) -> int:
    """The level after an escalation for ``reason``; ``current`` when the reason does not raise it."""
    policy = policy or default_complaint_policy()
    _require_level(current, "current level")
    if reason == MANUAL:
        raise ValueError("a manual escalation names its target level: use manual_level")
    if reason in policy.steps:
        return min(current + 1, LEVELS[-1])
    if reason in policy.at_least:
        return max(current, policy.at_least[reason])
    raise ValueError(f"unknown escalation reason {reason!r}; use one of {', '.join(sorted(REASONS))}")


def manual_level(current: int, target: int) -> int:
    """The level a person escalates a complaint to; never lower than it is."""
    _require_level(current, "current level")
    _require_level(target, "target level")
    if target < current:
        raise ValueError(f"a complaint's level is never lowered (from {current} to {target})")
    return target


def approver_for(level: int, policy: ComplaintPolicy | None = None) -> str:
    """The role that approves the handling plan of a complaint at ``level``."""
    _require_level(level)
    return (policy or default_complaint_policy()).approvers[level]


def is_repeat(previous_complaints: Sequence[datetime], now: datetime, window: timedelta = REPEAT_WINDOW) -> bool:
    """Whether the owner already complained within ``window`` before ``now`` (both ends included).

    ``previous_complaints`` are when the same owner's earlier complaints were
    opened; times after ``now`` are not earlier complaints and do not count.
    """
    require_aware(now, "now")
    if window <= timedelta(0):
        raise ValueError(f"the repeat window must be longer than nothing, got {window}")
    return any(timedelta(0) <= now - opened <= window for opened in previous_complaints)


@dataclass(frozen=True)
class GroupPolicy:
    """When complaints are one group complaint (群诉).

    Defaults: 3 different owners within 72 hours. Three owners are already
    "many owners" for one building, and three days covers a weekend, when a
    building's owners talk to each other before they call.
    """

    min_owners: int = 3
    window: timedelta = timedelta(hours=72)

    def __post_init__(self) -> None:
        if type(self.min_owners) is not int or self.min_owners < 2:
            raise ValueError("a group complaint needs at least 2 owners")
        if self.window <= timedelta(0):
            raise ValueError(f"the group window must be longer than nothing, got {self.window}")


DEFAULT_GROUP_POLICY = GroupPolicy()


@dataclass(frozen=True)
class ComplaintRef:
    case_id: str
    customer_id: str
    project: str | None
    building: str | None
    category: str | None
    opened_at: datetime
    kind: str = "complaint"
    element: str | None = None  # the shared building element it is about, if any (``groups.element_of``)
    flags: tuple[str, ...] = ()  # its urgent flags (``group_action``: owners say they act together)


def group_key(ref: ComplaintRef) -> str | None:
    """``project|building|category``: complaints that can form one group; None without all three."""
    if not (ref.project and ref.building and ref.category):
        return None
    return f"{ref.project}|{ref.building}|{ref.category}"


def find_group(
    new: ComplaintRef, recent: Sequence[ComplaintRef], policy: GroupPolicy = DEFAULT_GROUP_POLICY
) -> list[ComplaintRef] | None:
    """The group complaint ``new`` completes or joins, oldest first, ``new`` included; None when there is none.

    A group is ``policy.min_owners`` different customers complaining about the
    same category in the same project and building within one ``policy.window``
    (both ends included) that contains ``new``. Every complaint in such a window
    is a member, several by the same owner too.

    Complaints are not processed in the order they were made (they arrive on
    different partitions), so complaints made *after* ``new`` count as well: the
    group is the same whichever of its complaints happens to be processed last.
    """
    key = group_key(new)
    if key is None:
        return None
    near = {new.case_id: new}
    for ref in recent:
        if ref.case_id not in near and group_key(ref) == key and abs(ref.opened_at - new.opened_at) <= policy.window:
            near[ref.case_id] = ref
    members: dict[str, ComplaintRef] = {}
    for start in sorted({r.opened_at for r in near.values() if r.opened_at <= new.opened_at}):
        inside = [r for r in near.values() if start <= r.opened_at <= start + policy.window]
        if len({r.customer_id for r in inside}) >= policy.min_owners:
            members.update((r.case_id, r) for r in inside)
    if not members:
        return None
    return sorted(members.values(), key=lambda m: (m.opened_at, m.case_id))


def parse_complaint_policy(data: dict[str, Any]) -> ComplaintPolicy:
    approvers: dict[int, str] = {}
    for level, role in data.get("approvers", {}).items():
        if not level.isdigit() or not isinstance(role, str):
            raise ValueError(f"approvers: expected level = \"role\", got {level} = {role!r}")
        approvers[int(level)] = role
    initial = data.get("initial", {})
    escalation = data.get("escalation", {})
    steps = escalation.get("step", [])
    for reason in [*steps, *escalation.get("at_least", {})]:
        if reason not in REASONS or reason == MANUAL:
            raise ValueError(f"escalation names unknown reason {reason!r}")
    return ComplaintPolicy(
        flag_levels=dict(initial.get("flags", {})),
        vip_level=initial.get("vip"),
        steps=frozenset(steps),
        at_least=dict(escalation.get("at_least", {})),
        approvers=approvers,
    )


@lru_cache(maxsize=1)
def default_complaint_policy() -> ComplaintPolicy:
    text = resources.files("kefu_routing.domain").joinpath("complaints.toml").read_text(encoding="utf-8")
    return parse_complaint_policy(tomllib.loads(text))
