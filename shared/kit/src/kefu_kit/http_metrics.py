"""HTTP requests counted by route template and status class, for the 5xx alert and the dashboard.

FastStream's and OpenTelemetry's metrics measure the Kafka side only; nothing counted the HTTP
APIs, so a service answering 500s was invisible to Prometheus. This ASGI middleware counts
every request once, when it ends, as ``kefu_http_requests_total{service, method, route, status}``:

- ``route`` is the *template* the router matched (``/cases/{case_id}``), never the raw path: a
  raw path with ids would make one series per case. A request no route matched is ``unmatched``
  (scanners and typos would otherwise do the same through 404 paths).
- ``status`` is the class (``2xx``, ``4xx``, ``5xx``...), which is what alerts and graphs use; the
  exact code is in the access log.
- An exception that escapes the app counts as ``5xx``: Starlette's outermost error middleware turns
  it into a 500 after this one has seen it pass.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED = "unmatched"
# Any other method a client sends is counted as OTHER: the label's values stay a known, small set.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def http_requests_counter(registry: CollectorRegistry) -> Counter:
    return Counter(
        "kefu_http_requests", "HTTP requests answered, by route template and status class",
        ["service", "method", "route", "status"], registry=registry,
    )


def route_template(scope: Scope) -> str:
    """The path template of the route Starlette matched (it stores the route in the scope), else ``unmatched``."""
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


def _method(scope: Scope) -> str:
    method = str(scope.get("method", "")).upper()
    return method if method in METHODS else "OTHER"


class HttpMetricsMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware): streaming responses pass through untouched."""

    def __init__(self, app: ASGIApp, *, counter: Counter, service: str) -> None:
        self.app = app
        self.counter = counter
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # no response started: the app failed before answering

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        except BaseException:
            status = 500
            raise
        finally:
            self.counter.labels(service=self.service, method=_method(scope), route=route_template(scope),
                                status=f"{status // 100}xx").inc()
