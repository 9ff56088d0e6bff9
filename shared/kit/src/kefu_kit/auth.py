"""Who is calling an API (routing, dashboard): bearer tokens bound to a role and, for department staff, a department.

Tokens are never stored in clear: settings (or a secrets store behind them)
hold their SHA-256. Department staff see and change only their department's
cases; the complaint specialist and the managers see all.
"""

from __future__ import annotations

import hashlib
import json
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Header, HTTPException, Request

ROLES = ("department_staff", "complaint_specialist", "cs_manager", "cs_general_manager")
CENTER_ROLES = frozenset({"complaint_specialist", "cs_manager", "cs_general_manager"})


@dataclass(frozen=True)
class Principal:
    name: str
    role: str
    department: str | None

    def can_see(self, case: dict[str, Any]) -> bool:
        return self.role in CENTER_ROLES or case.get("department") == self.department

    @property
    def sees_all(self) -> bool:
        return self.role in CENTER_ROLES


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return "kefu_" + secrets.token_urlsafe(24)


class TokenBook:
    """The configured tokens; ``authenticate`` compares hashes in constant time."""

    def __init__(self, entries: list[dict[str, Any]]) -> None:
        self._entries: list[tuple[str, Principal]] = []
        for i, entry in enumerate(entries):
            role = entry.get("role")
            if role not in ROLES:
                raise ValueError(f"token {i}: role must be one of {', '.join(ROLES)}, not {role!r}")
            department = entry.get("department")
            if role == "department_staff" and not department:
                raise ValueError(f"token {i}: department staff need a department")
            digest = str(entry.get("token_sha256", "")).lower()
            if len(digest) != 64:
                raise ValueError(f"token {i}: token_sha256 must be the 64-hex SHA-256 of the token")
            self._entries.append((digest, Principal(entry.get("name") or f"token-{i}", role, department)))

    def authenticate(self, token: str) -> Principal | None:
        digest = token_hash(token)
        found = None
        for stored, principal in self._entries:
            if hmac.compare_digest(stored, digest):
                found = principal
        return found


def principal(request: Request, authorization: Annotated[str | None, Header()] = None) -> Principal:
    """FastAPI dependency: the caller, from ``Authorization: Bearer <token>``; 401 when missing or unknown.

    The service keeps its ``TokenBook`` in ``app.state.tokens``.
    """
    if not authorization or not authorization.lower().startswith("bearer "):
        raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    tokens: TokenBook = request.app.state.tokens
    who = tokens.authenticate(authorization[7:].strip())
    if who is None:
        raise HTTPException(401, "unknown token", headers={"WWW-Authenticate": "Bearer"})
    return who


def parse_tokens(value: Any) -> Any:
    """Settings validator: tokens come from the environment as a JSON list."""
    return json.loads(value) if isinstance(value, str) else value
