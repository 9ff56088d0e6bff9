"""Every route of every service, on the real stack: 401 without a token, 403 with each role it does not allow.

The routes come from each running service's own OpenAPI document, so a new route is swept the day it is
added; a route may be open only if it says why (``x-kefu-public``) and is one of the few that must be:
health, liveness, metrics, and the owners' links, whose token in the URL is the credential.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from kefu_kit.auth import ROLES

from support import auth

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(p.parents[2].name for p in ROOT.glob("services/*/src/kefu_*/app.py"))
# The only routes that may be open: probes, metrics, what an owner opens from a link (token in the URL), and
# the workspace page's service addresses (read before the page can call anything; no data).
OPEN = re.compile(r"^/(health|livez|metrics)$|^/s/\{token\}$|^/o/\{token\}(/.*)?$|^/$|^/api/workspace-config$")
METHODS = ("get", "post", "put", "patch", "delete")


def operations(doc: dict) -> list[tuple[str, str, dict]]:
    return [(m.upper(), path, op) for path, ops in doc["paths"].items() for m, op in ops.items() if m in METHODS]


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def test_every_service_is_swept() -> None:
    assert {"intake", "routing", "notifications", "surveys", "membership", "dashboard"} <= set(SERVICES)


@pytest.mark.parametrize("service", SERVICES)
def test_every_route_refuses_without_a_token_and_with_a_wrong_role(services, service: str) -> None:
    (proc,) = services(service)
    with httpx.Client(base_url=proc.url, timeout=20) as client:
        doc = client.get("/openapi.json").json()
        assert doc["components"]["securitySchemes"]["bearerAuth"] == {
            "type": "http", "scheme": "bearer", "description": doc["components"]["securitySchemes"]["bearerAuth"][
                "description"]}
        tried = refused = 0
        for method, path, op in operations(doc):
            url = concrete(path)
            if "x-kefu-public" in op:
                assert OPEN.match(path), f"{method} {path} is open ({op['x-kefu-public']}) but may not be"
                continue
            roles = op.get("x-kefu-roles")
            assert roles, f"{method} {path}: neither roles nor public"
            assert op.get("security") == [{"bearerAuth": []}], f"{method} {path}: no security requirement"
            for headers in ({}, {"Authorization": "Bearer kefu_not-a-token"}, {"Authorization": "Basic eDp5"}):
                r = client.request(method, url, headers=headers, json={} if method in ("POST", "PUT", "PATCH") else None)
                tried += 1
                assert r.status_code == 401, f"{method} {path} with {headers or 'no token'}: {r.status_code} {r.text}"
                assert r.headers.get("www-authenticate", "").lower().startswith("bearer")
                assert r.json()["code"] == "unauthorized"
            for role in ROLES:
                if role in roles:
                    continue
                r = client.request(method, url, headers=auth.headers(auth.BY_ROLE[role]),
                                   json={} if method in ("POST", "PUT", "PATCH") else None)
                tried += 1
                refused += 1
                assert r.status_code == 403, f"{method} {path} as {role} (allowed: {roles}): {r.status_code} {r.text}"
                assert r.json()["code"] == "forbidden" and role in r.json()["detail"]
        print(f"\nsweep {service}: {tried} requests, {refused} with a wrong role, all refused")
        assert tried > 0
