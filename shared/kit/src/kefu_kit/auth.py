"""Who is calling an API, and may they: one authentication and authorization model for every kefu service.

Callers send ``Authorization: Bearer <token>``. Tokens are never stored in
clear: settings (or a secrets store behind them) hold their SHA-256, each with
a role and, for department staff, a department. FastAPI's ``HTTPBearer``
security class does the reading, so every OpenAPI document declares the scheme;
``require(*roles)`` is the one role check, and ``document_access`` writes the
roles of every route into its OpenAPI operation (``x-kefu-roles``), which is
what the suite's sweep reads to try each route with no token and a wrong role.

Routes that must stay open (health, liveness, metrics, the owner's single-use
link) say so with ``public(reason)``; anything else without a role check is a
mistake the sweep catches.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Security
from fastapi.dependencies.utils import get_dependant
from fastapi.routing import APIRoute, APIRouter
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer


class Role(StrEnum):
    """The people and programs of the center (domain.md, Roles)."""

    HOTLINE_AGENT = "hotline_agent"                  # 售后服务热线接线专员: takes calls, return visits
    COMPLAINT_SPECIALIST = "complaint_specialist"    # 投诉专员
    DEPARTMENT_STAFF = "department_staff"            # a handling department's staff (bound to one department)
    AFTERSALES_SUPERVISOR = "aftersales_supervisor"  # 售后管理主管: knowledge base and case library
    CUSTOMER_RELATIONS = "customer_relations"        # 客户关系专员/主管: the owners' club, surveys, events
    DATA_ANALYST = "data_analyst"                    # 数据统计分析专员: weekly and monthly reports
    CS_MANAGER = "cs_manager"                        # 客服经理
    CS_GENERAL_MANAGER = "cs_general_manager"        # 客户服务中心总经理
    OPS = "ops"                                      # service account: operations (stats, rebuilds, registers)
    CHANNEL_ADAPTER = "channel_adapter"              # service account: a channel adapter publishing contacts


ROLES: tuple[str, ...] = tuple(r.value for r in Role)
SERVICE_ACCOUNTS = frozenset({Role.OPS, Role.CHANNEL_ADAPTER})
# Who sees every case; department staff see their department's only, service accounts none.
CENTER_ROLES = frozenset({Role.HOTLINE_AGENT, Role.COMPLAINT_SPECIALIST, Role.AFTERSALES_SUPERVISOR,
                          Role.CUSTOMER_RELATIONS, Role.DATA_ANALYST, Role.CS_MANAGER, Role.CS_GENERAL_MANAGER})
# Who gets phone numbers, e-mail addresses, names and ID numbers in clear: the people who contact owners.
# The analyst counts, operations operate and adapters only write: they get masked values.
PII_ROLES = frozenset({Role.HOTLINE_AGENT, Role.COMPLAINT_SPECIALIST, Role.DEPARTMENT_STAFF,
                       Role.AFTERSALES_SUPERVISOR, Role.CUSTOMER_RELATIONS, Role.CS_MANAGER,
                       Role.CS_GENERAL_MANAGER})
MANAGERS = frozenset({Role.CS_MANAGER, Role.CS_GENERAL_MANAGER})


@dataclass(frozen=True)
class Principal:
    name: str
    role: str
    department: str | None

    def can_see(self, case: dict[str, Any]) -> bool:
        return self.role in CENTER_ROLES or (self.role == Role.DEPARTMENT_STAFF
                                             and case.get("department") == self.department)

    @property
    def sees_all(self) -> bool:
        return self.role in CENTER_ROLES

    @property
    def sees_pii(self) -> bool:
        return self.role in PII_ROLES


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return "kefu_" + secrets.token_urlsafe(24)


def token_entry(token: str, role: str, name: str, department: str | None = None) -> dict[str, str | None]:
    """The settings entry of a token: what ``KEFU_TOKENS`` holds (never the token itself)."""
    return {"token_sha256": token_hash(token), "role": role, "department": department, "name": name}


class TokenBook:
    """The configured tokens; ``authenticate`` compares hashes in constant time."""

    def __init__(self, entries: Iterable[dict[str, Any]]) -> None:
        self._entries: list[tuple[str, Principal]] = []
        for i, entry in enumerate(entries):
            role = entry.get("role")
            if role not in ROLES:
                raise ValueError(f"token {i}: role must be one of {', '.join(ROLES)}, not {role!r}")
            department = entry.get("department")
            if role == Role.DEPARTMENT_STAFF and not department:
                raise ValueError(f"token {i}: department staff need a department")
            digest = str(entry.get("token_sha256", "")).lower()
            if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
                raise ValueError(f"token {i}: token_sha256 must be the 64-hex SHA-256 of the token")
            self._entries.append((digest, Principal(entry.get("name") or f"token-{i}", role, department)))

    def __len__(self) -> int:
        return len(self._entries)

    def authenticate(self, token: str) -> Principal | None:
        digest = token_hash(token)
        found = None
        for stored, principal in self._entries:
            if hmac.compare_digest(stored, digest):
                found = principal
        return found


def load_token_entries(value: Any = None, file: Path | None = None) -> list[dict[str, Any]]:
    """Token entries from settings: a JSON list (string or parsed), plus those of a JSON file (a mounted secret)."""
    entries: list[dict[str, Any]] = []
    for source, raw in (("KEFU_TOKENS", value), (str(file), file.read_text(encoding="utf-8") if file else None)):
        if raw in (None, "", []):
            continue
        parsed = json.loads(raw) if isinstance(raw, str) else raw
        if not isinstance(parsed, list) or not all(isinstance(e, dict) for e in parsed):
            raise ValueError(f"{source}: tokens must be a JSON list of objects {{token_sha256, role, department?, name}}")
        entries.extend(parsed)
    return entries


def parse_tokens(value: Any) -> Any:
    """Settings validator: tokens come from the environment as a JSON list."""
    return json.loads(value) if isinstance(value, str) and value.strip() else (value or [])


bearer = HTTPBearer(auto_error=False, scheme_name="bearerAuth",
                    description="A kefu API token (`kefu token --role ROLE --name NAME`); each route says its roles "
                                "in `x-kefu-roles`. 401 without a known token, 403 with a role the route refuses.")


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def principal(request: Request,
              credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)] = None) -> Principal:
    """FastAPI dependency: the caller, from ``Authorization: Bearer <token>``; 401 when missing or unknown.

    The service keeps its ``TokenBook`` in ``app.state.tokens`` (the kit puts it there).
    """
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise _unauthorized("missing bearer token (Authorization: Bearer <token>)")
    tokens: TokenBook = request.app.state.tokens
    who = tokens.authenticate(credentials.credentials.strip())
    if who is None:
        raise _unauthorized("unknown token")
    return who


# Any signed-in caller: routes that check more themselves (a case's department) or serve every role.
principal.kefu_roles = ROLES  # type: ignore[attr-defined]


def require(*roles: str) -> Callable[..., Principal]:
    """Dependency factory: the caller, who must hold one of ``roles`` (403 otherwise, with the roles allowed)."""
    allowed = tuple(dict.fromkeys(Role(r).value for r in roles))
    if not allowed:
        raise ValueError("require() needs at least one role")

    def check(who: Annotated[Principal, Depends(principal)]) -> Principal:
        if who.role not in allowed:
            raise HTTPException(403, f"role {who.role} may not do this; allowed: {', '.join(allowed)}")
        return who

    check.kefu_roles = allowed  # type: ignore[attr-defined]  # read by document_access
    check.__name__ = "require_" + "_or_".join(allowed)
    return check


def Allowed(*roles: str) -> Any:  # noqa: N802  (reads as a type in signatures: ``who: Allowed(Role.CS_MANAGER)``)
    """``Annotated[Principal, Depends(require(*roles))]``: the parameter form of ``require``."""
    return Annotated[Principal, Depends(require(*roles))]


PUBLIC_KEY = "x-kefu-public"
ROLES_KEY = "x-kefu-roles"


def public(reason: str) -> dict[str, Any]:
    """``openapi_extra`` of a route that is deliberately open: its reason is in the OpenAPI document."""
    return {PUBLIC_KEY: reason}


def _roles_of(dependant: Any) -> tuple[str, ...] | None:
    found = getattr(dependant.call, "kefu_roles", None)
    if found is not None:
        return found
    for sub in dependant.dependencies:
        roles = _roles_of(sub)
        if roles is not None:
            return roles
    return None


def _roles_of_dependencies(dependencies: Iterable[Any]) -> tuple[str, ...] | None:
    for dep in dependencies:
        call = getattr(dep, "dependency", None)
        if call is None:
            continue
        roles = _roles_of(get_dependant(path="", call=call))
        if roles is not None:
            return roles
    return None


def _routes(routes: Iterable[Any], inherited: tuple[str, ...] | None) -> Iterable[tuple[APIRoute, tuple[str, ...] | None]]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route, _roles_of(route.dependant) or inherited
        elif isinstance(route, APIRouter) or hasattr(route, "original_router"):
            router = route if isinstance(route, APIRouter) else route.original_router  # included ones are lazy
            yield from _routes(router.routes, _roles_of_dependencies(router.dependencies) or inherited)


def document_access(routes: Iterable[Any], error_responses: dict[int | str, dict[str, Any]] | None = None) -> None:
    """Write each route's roles into its OpenAPI operation (``x-kefu-roles``), with its 401/403 responses.

    ``routes``: the app's own routes and the routers it includes, before they are included (FastAPI
    builds included routes from the originals). A route with neither a role check nor ``public(...)``
    raises here, at start, so it can never be served open by mistake.
    """
    for route, roles in _routes(routes, None):
        extra = dict(route.openapi_extra or {})
        if roles is None:
            if PUBLIC_KEY not in extra:
                raise RuntimeError(f"{sorted(route.methods)} {route.path}: no role check (require(...)) and not "
                                   "marked public(...)")
            continue
        extra[ROLES_KEY] = list(roles)
        route.openapi_extra = extra
        responses = dict(route.responses or {})
        for status in (401, 403):
            responses.setdefault(status, (error_responses or {}).get(status, {"description": "refused"}))
        if "{" in route.path and 404 in (error_responses or {}):  # what the path names may not exist
            responses.setdefault(404, error_responses[404])
        route.responses = responses
        line = "Roles: " + ", ".join(roles) + "."
        if route.description and line not in route.description:
            route.description = f"{route.description}\n\n{line}"
        elif not route.description:
            route.description = line
