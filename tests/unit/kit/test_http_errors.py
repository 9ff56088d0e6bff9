"""The kit's one error shape: every refusal and failure answers {detail, code, status[, errors]}."""

from __future__ import annotations

from typing import ClassVar

from fastapi import APIRouter, HTTPException, Query
from fastapi.testclient import TestClient
from kefu_kit import ServiceKit, ServiceSettings
from kefu_kit.auth import public
from pydantic import BaseModel, Field
from pymongo.errors import AutoReconnect, DuplicateKeyError


class ErrSettings(ServiceSettings):
    service: ClassVar[str] = "errtest"


class Body(BaseModel):
    name: str = Field(min_length=1, max_length=10)


def client() -> TestClient:
    kit = ServiceKit(ErrSettings(kafka_bootstrap="127.0.0.1:1", mongo_url="mongodb://127.0.0.1:1/", dev_mode=True))
    router = APIRouter()
    open_ = public("a test route")

    @router.post("/things", openapi_extra=open_)
    async def things(body: Body, limit: int = Query(10, ge=1, le=500)) -> dict[str, str]:
        return {"name": body.name}

    @router.get("/gone/{x}", openapi_extra=open_)
    async def gone(x: str) -> None:
        raise HTTPException(404, f"no thing {x}")

    @router.get("/own-validation", openapi_extra=open_)
    async def own() -> None:
        raise HTTPException(422, [{"type": "value_error", "loc": ["query", "cursor"], "msg": "not a cursor"}])

    @router.get("/dup", openapi_extra=open_)
    async def dup() -> None:
        raise DuplicateKeyError("E11000 duplicate key")

    @router.get("/down", openapi_extra=open_)
    async def down() -> None:
        raise AutoReconnect("store gone")

    @router.get("/bug", openapi_extra=open_)
    async def bug() -> None:
        raise KeyError("secret internals")

    return TestClient(kit.app([router]), raise_server_exceptions=False)


def test_validation_errors_name_each_field() -> None:
    r = client().post("/things?limit=0", json={"name": ""})
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "validation_error" and body["status"] == 422
    assert {tuple(e["loc"]) for e in body["errors"]} == {("query", "limit"), ("body", "name")}
    assert "query.limit" in body["detail"] and "body.name" in body["detail"]


def test_http_exceptions_and_a_routes_own_validation_keep_the_shape() -> None:
    c = client()
    assert c.get("/gone/7").json() == {"detail": "no thing 7", "code": "not_found", "status": 404}
    own = c.get("/own-validation").json()
    assert own["code"] == "validation_error" and own["errors"][0]["loc"] == ["query", "cursor"]
    assert c.get("/no/such/route").json()["code"] == "not_found"
    assert c.delete("/gone/7").json()["code"] == "method_not_allowed"


def test_races_outages_and_bugs_map_to_409_503_and_a_500_without_internals() -> None:
    c = client()
    dup = c.get("/dup")
    assert dup.status_code == 409 and dup.json()["code"] == "conflict"
    down = c.get("/down")
    assert down.status_code == 503 and down.json()["code"] == "unavailable" and down.headers["retry-after"] == "2"
    bug = c.get("/bug")
    assert bug.status_code == 500 and bug.json()["code"] == "internal_error"
    assert "secret internals" not in bug.text and "ref " in bug.json()["detail"]


def test_a_failure_on_a_query_string_that_is_not_utf8_is_still_answered_in_the_shape() -> None:
    """Raw bytes as a client may send them (no HTTP client here would): the handler must not trip on them."""
    import asyncio
    import json

    app = client().app
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": "/bug", "raw_path": b"/bug", "query_string": b"q=\xff\xfe", "root_path": "",
             "headers": [(b"host", b"testserver")], "client": ("127.0.0.1", 1), "server": ("testserver", 80)}
    try:
        asyncio.run(app(scope, receive, send))
    except KeyError:  # Starlette re-raises a handled 500 for the server to log, after the response went out
        pass
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert start["status"] == 500 and json.loads(body)["code"] == "internal_error"
