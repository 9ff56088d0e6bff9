"""The live stream over sse-starlette, driven as ASGI: framing, keepalives, live entries, a client that leaves."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone
from typing import Any

from fastapi import FastAPI
from kefu_dashboard.api import build_router
from kefu_dashboard.feed import FeedHub
from kefu_kit.auth import Principal, principal


class FeedStore:
    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    async def recent_feed(self, limit: int) -> list[dict[str, Any]]:
        return self.entries[-limit:]

    async def feed_since(self, since: datetime) -> list[dict[str, Any]]:
        return [e for e in self.entries if e["recorded_at"] >= since]


def entry(eid: str, department: str, seconds: float) -> dict[str, Any]:
    return {"_id": eid, "recorded_at": datetime.now(timezone.utc) + timedelta(seconds=seconds), "type": "assigned",
            "case": {"case_id": f"case-{eid}", "department": department}}


async def test_the_stream_sends_recent_and_live_entries_keepalives_and_lets_go_of_a_client_that_left() -> None:
    store = FeedStore()
    store.entries.append(entry("old", "engineering", -60))
    hub = FeedHub(store, overlap=timedelta(seconds=10))  # type: ignore[arg-type]
    app = FastAPI()
    app.include_router(build_router(store, hub, None, recent=10, keepalive_s=0.05))  # type: ignore[arg-type]
    app.dependency_overrides[principal] = lambda: Principal("li", "department_staff", "engineering")

    sent: list[dict[str, Any]] = []
    left = asyncio.Event()
    requested = False

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await left.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    def body() -> str:
        return b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body").decode()

    async def until(predicate, what: str) -> None:
        for _ in range(200):
            if predicate(body()):
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"no {what} in {body()!r}")

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": "/api/stream", "raw_path": b"/api/stream", "query_string": b"", "root_path": "",
             "headers": [(b"host", b"dashboard")], "server": ("dashboard", 80), "client": ("127.0.0.1", 1)}
    response = asyncio.create_task(app(scope, receive, send))
    await until(lambda b: "id: old" in b, "recent entry")
    assert sent[0]["status"] == 200
    headers = dict(sent[0]["headers"])
    assert headers[b"content-type"].startswith(b"text/event-stream") and headers[b"cache-control"] == b"no-cache"
    assert body().startswith("retry: 2000\n\n")

    store.entries += [entry("other", "sales", 1), entry("new", "engineering", 2)]
    assert await hub.poll() == 2
    await until(lambda b: "id: new" in b, "live entry")
    await until(lambda b: b.count(": keepalive\n\n") >= 2, "keepalives")
    events = [block for block in body().split("\n\n") if block.startswith("id: ")]
    assert [b.split("\n")[0] for b in events] == ["id: old", "id: new"]  # the sales entry is not this engineer's
    assert events[1].split("\n")[1] == "event: case"
    assert json.loads(events[1].split("\n")[2].removeprefix("data: "))["case"]["case_id"] == "case-new"

    left.set()
    await asyncio.wait_for(response, timeout=5)
    assert hub.streams == set()
