"""The suite's API tokens: one person per role (and department), known to every service the tests start.

``conftest`` puts their hashes in ``KEFU_TOKENS`` before any test runs, so services started as processes and apps
built in-process accept them; a test calls ``headers("manager")`` or ``client(url, "agent")``.
"""

from __future__ import annotations

import json

import httpx
from kefu_kit.auth import Role, new_token, token_entry

PEOPLE: dict[str, tuple[str, str | None]] = {
    "agent": (Role.HOTLINE_AGENT, None),
    "specialist": (Role.COMPLAINT_SPECIALIST, None),
    "engineering": (Role.DEPARTMENT_STAFF, "engineering"),
    "property": (Role.DEPARTMENT_STAFF, "property"),
    "customer_service": (Role.DEPARTMENT_STAFF, "customer_service"),
    "supervisor": (Role.AFTERSALES_SUPERVISOR, None),
    "relations": (Role.CUSTOMER_RELATIONS, None),
    "analyst": (Role.DATA_ANALYST, None),
    "manager": (Role.CS_MANAGER, None),
    "gm": (Role.CS_GENERAL_MANAGER, None),
    "ops": (Role.OPS, None),
    "adapter": (Role.CHANNEL_ADAPTER, None),
}

PLAIN: dict[str, str] = {name: new_token() for name in PEOPLE}
# One person per role, for sweeps that try every role (department staff: engineering).
BY_ROLE: dict[str, str] = {}
for _name, (_role, _dept) in PEOPLE.items():
    BY_ROLE.setdefault(str(_role), _name)


def env() -> str:
    """``KEFU_TOKENS`` for these people."""
    return json.dumps([token_entry(PLAIN[n], str(role), n, dept) for n, (role, dept) in PEOPLE.items()])


def headers(who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {PLAIN[who]}"}


def client(base_url: str, who: str, **kwargs) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base_url, headers=headers(who), timeout=kwargs.pop("timeout", 20), **kwargs)
