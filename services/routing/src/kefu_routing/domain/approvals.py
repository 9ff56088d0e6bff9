"""Who may approve what: repair and compensation costs within each role's authority, and complaint plans.

The general manager approves repair and compensation costs "within authority"
(审核权限内的维修和赔偿费用); smaller amounts are approved lower down so that
an owner is not kept waiting for the general manager over a broken tile. The
limits are data (``approvals.toml``), in CNY as ``Decimal``: money is never a
float, and a limit is inclusive to the cent (a specialist may approve
1,000.00, not 1,000.01).

Roles are ordered by authority, each limit above the one before, so whoever
may approve an amount may approve any smaller one; the highest role approves
any amount.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from typing import Any

from .complaints import approver_for


@dataclass(frozen=True)
class Authority:
    role: str
    name: str  # Chinese title, for people reading the table
    limit: Decimal | None  # the largest amount the role may approve; None: any amount


def _require_amount(amount: Decimal) -> None:
    if not isinstance(amount, Decimal):
        raise TypeError(f"amounts are Decimal, never float or int, got {amount!r}")
    if not amount.is_finite():
        raise ValueError(f"an amount must be a finite number, got {amount}")
    if amount < 0:
        raise ValueError(f"an amount to approve cannot be negative, got {amount}")


@dataclass(frozen=True)
class AuthorityTable:
    roles: tuple[Authority, ...]  # lowest authority first

    def __post_init__(self) -> None:
        if not self.roles:
            raise ValueError("the authority table needs at least one role")
        if len({a.role for a in self.roles}) != len(self.roles):
            raise ValueError("every role may appear only once")
        *limited, top = self.roles
        if top.limit is not None:
            raise ValueError(f"the highest role ({top.role}) must approve any amount: give it no limit")
        previous = Decimal(-1)
        for authority in limited:
            if authority.limit is None:
                raise ValueError(f"only the highest role may have no limit, not {authority.role}")
            _require_amount(authority.limit)
            if authority.limit <= previous:
                raise ValueError(f"the limit of {authority.role} must be above the limit of the role before it")
            previous = authority.limit

    def required_role(self, amount: Decimal) -> str:
        """The lowest role that may approve ``amount``."""
        _require_amount(amount)
        return next(a.role for a in self.roles if a.limit is None or amount <= a.limit)

    def can_approve(self, role: str, amount: Decimal) -> bool:
        _require_amount(amount)
        authority = next((a for a in self.roles if a.role == role), None)
        return authority is not None and (authority.limit is None or amount <= authority.limit)


def required_role(amount: Decimal, table: AuthorityTable | None = None) -> str:
    """The lowest role that may approve a repair or compensation cost of ``amount`` CNY."""
    return (table or default_authority_table()).required_role(amount)


def can_approve(role: str, amount: Decimal, table: AuthorityTable | None = None) -> bool:
    """Whether ``role`` may approve ``amount`` CNY; a role not in the table may approve nothing."""
    return (table or default_authority_table()).can_approve(role, amount)


def limit_of(role: str, table: AuthorityTable | None = None) -> Decimal | None:
    """The largest amount ``role`` may approve (None: any amount); ``Decimal(0)`` for a role not in the table."""
    authority = next((a for a in (table or default_authority_table()).roles if a.role == role), None)
    return Decimal(0) if authority is None else authority.limit


def plan_approver(level: int) -> str:
    """The role that approves the handling plan of a complaint at ``level`` (see complaints.approver_for)."""
    return approver_for(level)


def parse_authority_table(data: dict[str, Any]) -> AuthorityTable:
    roles = []
    for r in data.get("role", []):
        role, limit = r.get("id"), r.get("limit")
        if not isinstance(role, str) or not role:
            raise ValueError(f"every role needs an id, got {r!r}")
        if limit is not None:
            if not isinstance(limit, str):
                raise ValueError(f"role {role}: write the limit as a string (\"1000.00\"), got {limit!r}")
            try:
                limit = Decimal(limit)
            except InvalidOperation:
                raise ValueError(f"role {role}: limit {r['limit']!r} is not an amount") from None
        roles.append(Authority(role, r.get("name", role), limit))
    return AuthorityTable(tuple(roles))


@lru_cache(maxsize=1)
def default_authority_table() -> AuthorityTable:
    text = resources.files("kefu_routing.domain").joinpath("approvals.toml").read_text(encoding="utf-8")
    return parse_authority_table(tomllib.loads(text))
