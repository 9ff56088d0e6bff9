"""The kit's one auth model: tokens, roles, the OpenAPI it writes, and refusing to start without tokens."""

from __future__ import annotations

import asyncio
from typing import ClassVar

import pytest
from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient
from kefu_kit import ServiceKit, ServiceSettings
from kefu_kit.auth import (ROLES, Allowed, Principal, Role, TokenBook, load_token_entries, new_token, public, require,
                           token_entry)


class AuthSettings(ServiceSettings):
    service: ClassVar[str] = "authtest"


AGENT, MANAGER, ENGINEER = new_token(), new_token(), new_token()
ENTRIES = [token_entry(AGENT, "hotline_agent", "li"), token_entry(MANAGER, "cs_manager", "wang"),
           token_entry(ENGINEER, "department_staff", "zhao", "engineering")]


def make(entries=ENTRIES, dev_mode: bool = False, routes: bool = True) -> tuple[ServiceKit, TestClient]:
    kit = ServiceKit(AuthSettings(kafka_bootstrap="127.0.0.1:1", mongo_url="mongodb://127.0.0.1:1/",
                                  tokens=entries, dev_mode=dev_mode))
    router = APIRouter()
    if routes:
        @router.get("/plans/{plan_id}", dependencies=[Depends(require(Role.CS_MANAGER, Role.CS_GENERAL_MANAGER))])
        async def plan(plan_id: str) -> dict[str, str]:
            """A manager's plan."""
            return {"plan_id": plan_id}

        @router.post("/notes")
        async def note(who: Allowed(Role.HOTLINE_AGENT, Role.DEPARTMENT_STAFF)) -> dict[str, str | None]:
            return {"by": who.name, "department": who.department}

        @router.get("/open", openapi_extra=public("a test route"))
        async def open_route() -> dict[str, bool]:
            return {"open": True}
    return kit, TestClient(kit.app([router]), raise_server_exceptions=False)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_known_token_of_an_allowed_role_passes_and_others_are_refused() -> None:
    _, client = make()
    assert client.get("/plans/P1", headers=bearer(MANAGER)).json() == {"plan_id": "P1"}
    assert client.post("/notes", headers=bearer(ENGINEER)).json() == {"by": "zhao", "department": "engineering"}
    missing = client.get("/plans/P1")
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    assert missing.json() == {"detail": missing.json()["detail"], "code": "unauthorized", "status": 401}
    assert client.get("/plans/P1", headers=bearer("kefu_guess")).status_code == 401
    assert client.get("/plans/P1", headers={"Authorization": f"Basic {MANAGER}"}).status_code == 401
    wrong = client.get("/plans/P1", headers=bearer(AGENT))
    assert wrong.status_code == 403
    assert wrong.json()["code"] == "forbidden"
    assert "hotline_agent" in wrong.json()["detail"] and "cs_manager" in wrong.json()["detail"]
    assert client.get("/open").json() == {"open": True}


def test_stats_needs_ops_or_a_manager_and_probes_stay_open() -> None:
    _, client = make()
    assert client.get("/stats").status_code == 401
    assert client.get("/stats", headers=bearer(AGENT)).status_code == 403
    assert client.get("/livez").status_code == 200
    assert client.get("/metrics").status_code == 200


def test_the_openapi_document_declares_the_scheme_and_each_operations_roles() -> None:
    _, client = make()
    doc = client.get("/openapi.json").json()
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    plan = doc["paths"]["/plans/{plan_id}"]["get"]
    assert plan["security"] == [{"bearerAuth": []}]
    assert plan["x-kefu-roles"] == ["cs_manager", "cs_general_manager"]
    assert {"401", "403", "404"} <= plan["responses"].keys()
    assert plan["description"].startswith("A manager's plan.") and "Roles: cs_manager, cs_general_manager." in \
        plan["description"]
    assert doc["paths"]["/notes"]["post"]["x-kefu-roles"] == ["hotline_agent", "department_staff"]
    assert doc["paths"]["/open"]["get"]["x-kefu-public"] == "a test route"
    assert "security" not in doc["paths"]["/open"]["get"]


def test_a_route_without_a_role_check_or_a_public_mark_stops_the_app_from_being_built() -> None:
    kit = ServiceKit(AuthSettings(kafka_bootstrap="127.0.0.1:1", mongo_url="mongodb://127.0.0.1:1/",
                                  tokens=ENTRIES))
    router = APIRouter()

    @router.get("/forgotten")
    async def forgotten() -> dict[str, str]:
        return {}

    with pytest.raises(RuntimeError, match="/forgotten: no role check"):
        kit.app([router])


def test_a_service_refuses_to_start_without_tokens_unless_in_dev_mode() -> None:
    kit, _ = make(entries=[], routes=False)
    with pytest.raises(RuntimeError, match="no API tokens"):
        kit._check_tokens()
    dev, client = make(entries=[], dev_mode=True)
    dev._check_tokens()  # starts; nobody gets in
    assert client.get("/plans/P1", headers=bearer(MANAGER)).status_code == 401


@pytest.mark.parametrize("entry, message", [
    ({"token_sha256": "ab" * 32, "role": "janitor"}, "role must be one of"),
    ({"token_sha256": "ab" * 32, "role": "department_staff"}, "need a department"),
    ({"token_sha256": "not-hex", "role": "cs_manager"}, "64-hex"),
    ({"token_sha256": "zz" * 32, "role": "cs_manager"}, "64-hex"),
])
def test_malformed_token_entries_are_refused_with_their_number(entry, message) -> None:
    with pytest.raises(ValueError, match=f"token 0: .*{message}"):
        TokenBook([entry])


def test_tokens_come_from_json_a_file_and_a_per_service_variable(tmp_path, monkeypatch) -> None:
    file = tmp_path / "tokens.json"
    file.write_text('[{"token_sha256": "%s", "role": "ops", "name": "ci"}]' % ("cd" * 32))
    entries = load_token_entries('[{"token_sha256": "%s", "role": "cs_manager"}]' % ("ab" * 32), file)
    assert [e["role"] for e in entries] == ["cs_manager", "ops"]
    with pytest.raises(ValueError, match="JSON list"):
        load_token_entries('{"role": "ops"}')
    monkeypatch.setenv("KEFU_TOKENS", "[]")
    monkeypatch.setenv("KEFU_AUTHTEST_TOKENS", '[{"token_sha256": "%s", "role": "ops"}]' % ("ef" * 32))
    assert [e["role"] for e in AuthSettings().token_entries()] == ["ops"]


def test_department_staff_see_their_department_and_only_people_who_contact_owners_see_pii() -> None:
    staff = Principal("zhao", Role.DEPARTMENT_STAFF, "engineering")
    assert staff.can_see({"department": "engineering"}) and not staff.can_see({"department": "property"})
    assert Principal("ops", Role.OPS, None).can_see({"department": "engineering"}) is False
    assert Principal("li", Role.HOTLINE_AGENT, None).sees_all
    assert {r for r in ROLES if Principal("x", r, "d").sees_pii} == {
        "hotline_agent", "complaint_specialist", "department_staff", "aftersales_supervisor", "customer_relations",
        "cs_manager", "cs_general_manager"}
