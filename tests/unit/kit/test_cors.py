"""CORS in the kit: off unless KEFU_CORS_ORIGINS names origins; then the workspace page's origin may call with a token."""

from __future__ import annotations

from typing import ClassVar

from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient
from kefu_kit import ServiceKit, ServiceSettings
from kefu_kit.auth import Role, new_token, require, token_entry

PAGE = "http://127.0.0.1:8106"
AGENT = new_token()


class CorsSettings(ServiceSettings):
    service: ClassVar[str] = "corstest"


def client(cors: str) -> TestClient:
    kit = ServiceKit(CorsSettings(kafka_bootstrap="127.0.0.1:1", mongo_url="mongodb://127.0.0.1:1/",
                                  tokens=[token_entry(AGENT, "hotline_agent", "li")], cors_origins=cors))
    router = APIRouter()

    @router.post("/classify", dependencies=[Depends(require(Role.HOTLINE_AGENT))])
    async def classify() -> dict[str, str]:
        return {"kind": "repair"}

    return TestClient(kit.app([router]), raise_server_exceptions=False)


def preflight(c: TestClient, origin: str):
    return c.options("/classify", headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                                           "Access-Control-Request-Headers": "authorization,content-type"})


def test_origins_are_read_comma_separated_without_trailing_slashes() -> None:
    s = CorsSettings(cors_origins=" http://a:1/ ,, https://b.example ")
    assert s.cors_origin_list() == ["http://a:1", "https://b.example"]
    assert CorsSettings().cors_origin_list() == []


def test_without_origins_no_cors_headers_are_sent() -> None:
    c = client("")
    reply = c.post("/classify", headers={"Origin": PAGE, "Authorization": f"Bearer {AGENT}"})
    assert reply.status_code == 200
    assert "access-control-allow-origin" not in reply.headers
    assert "access-control-allow-origin" not in preflight(c, PAGE).headers


def test_the_named_origin_may_send_the_authorization_header_and_others_may_not() -> None:
    c = client(f"{PAGE},http://other:9")
    ok = preflight(c, PAGE)
    assert ok.status_code == 200, "the preflight is answered before auth (a browser sends no token with it)"
    assert ok.headers["access-control-allow-origin"] == PAGE
    assert "authorization" in ok.headers["access-control-allow-headers"].lower()
    assert preflight(c, "http://evil.example").status_code == 400
    reply = c.post("/classify", headers={"Origin": PAGE, "Authorization": f"Bearer {AGENT}"})
    assert reply.json() == {"kind": "repair"} and reply.headers["access-control-allow-origin"] == PAGE
    refused = c.post("/classify", headers={"Origin": PAGE})
    assert refused.status_code == 401 and refused.headers["access-control-allow-origin"] == PAGE, \
        "errors carry the CORS header too, so the page can read the 401/403 message"
