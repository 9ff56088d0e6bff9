"""The service kit: what every kefu service is made of, assembled in one place.

A service's composition root (its ``app.py``) creates a ``ServiceKit``,
registers its subscribers and HTTP routes on it, and asks for the ASGI app.
The app's lifespan creates topics, prepares the store, starts the broker and,
on SIGTERM (uvicorn), stops it: in-flight messages finish and are committed
before the process exits.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from fastapi import APIRouter, Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from kefu_contracts import TOPICS
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest
from pymongo.asynchronous.database import AsyncDatabase

from .auth import MANAGERS, Role, TokenBook, document_access, public, require
from .backoff import retry
from .dead_letter import ConsumeGuard
from .http_errors import ERROR_RESPONSES, install_error_handlers
from .http_metrics import HttpMetricsMiddleware, http_requests_counter
from .kafka import EventPublisher, ensure_topics, make_broker, publisher_for
from .logging import configure_logging, get_logger
from .mongo import make_client
from .pages import NEXT_CURSOR
from .settings import ServiceSettings
from .store_metrics import StoreCommandMetrics

log = get_logger(__name__)

StartupHook = Callable[[AsyncDatabase[dict[str, Any]]], Awaitable[None]]


class ServiceKit:
    """Broker, store, metrics and lifecycle of one service."""

    def __init__(self, settings: ServiceSettings, stats: tuple[str, ...] = ()) -> None:
        self.settings = settings
        self.stats_collections = stats
        self.registry = CollectorRegistry()
        self.guard = ConsumeGuard(settings, self.registry)
        self.broker = make_broker(settings, self.guard, self.registry)
        self.guard.bind(self.broker)
        self.mongo = make_client(settings.mongo_url, f"kefu-{settings.service}", [StoreCommandMetrics(self.registry)])
        self.db: AsyncDatabase[dict[str, Any]] = self.mongo[settings.database]
        self._startup: list[StartupHook] = []
        self._shutdown: list[Callable[[], Awaitable[Any]]] = []
        self._loops: list[tuple[str, float, Callable[[], Awaitable[Any]]]] = []
        self.http_requests = http_requests_counter(self.registry)
        # Who may call the API: built here so a malformed entry fails at once, with the entry's number.
        self.tokens = TokenBook(settings.token_entries())
        # What /health answers, as a metric: Prometheus alerts on an unreachable store or broker without
        # scraping /health. Set by every health check, which also runs every health_interval_s, so the
        # value is fresh even when nothing probes /health (docker-compose, a bare process).
        self.dependency_up = Gauge("kefu_dependency_up", "1 when the last health check reached the dependency, else 0",
                                   ["service", "dependency"], registry=self.registry)
        self.every("health", settings.health_interval_s, self.health)

    def publisher(self, *logical_topics: str) -> EventPublisher:
        """One ``publish(event)`` for several contract topics: each event goes to its own topic, with its key
        (``publish_all`` for several in order with one wait for their acks)."""
        return EventPublisher({TOPICS[name].model: publisher_for(self.broker, self.settings, name)
                               for name in logical_topics})

    def on_startup(self, hook: StartupHook) -> StartupHook:
        """Register a coroutine run before consuming starts (index creation, seed data)."""
        self._startup.append(hook)
        return hook

    def on_shutdown(self, hook: Callable[[], Awaitable[Any]]) -> Callable[[], Awaitable[Any]]:
        """Register a coroutine run at shutdown, after the background loops stop (closing clients of its own)."""
        self._shutdown.append(hook)
        return hook

    def every(self, name: str, seconds: float, action: Callable[[], Awaitable[Any]]) -> None:
        """Run ``action`` every ``seconds`` while the service runs (timers, outbox relays).

        A failing run is logged and the loop goes on: the next run retries.
        """
        self._loops.append((name, seconds, action))

    async def _loop(self, name: str, seconds: float, action: Callable[[], Awaitable[Any]]) -> None:
        while True:
            try:
                await action()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error("background loop failed; retrying", loop=name, error=repr(exc))
            await asyncio.sleep(seconds)

    async def _prepare_store(self) -> None:
        def waiting(exc: BaseException, wait_s: float, attempt: int) -> None:
            log.warning("store not reachable yet", attempt=attempt, error=repr(exc), retry_in_s=round(wait_s, 2))

        await retry(lambda: self.db.command("ping"), initial_s=0.2, max_s=5.0, attempts=60, on_retry=waiting)
        for hook in self._startup:
            await hook(self.db)

    def _check_tokens(self) -> None:
        """No tokens means nobody can use the API: refuse to start, unless told this is a developer's run."""
        if len(self.tokens):
            return
        if not self.settings.dev_mode:
            raise RuntimeError(f"kefu {self.settings.service}: no API tokens (set KEFU_TOKENS or KEFU_TOKENS_FILE; "
                               "`kefu token` makes one), or KEFU_DEV_MODE=true to start without any")
        log.warning("dev mode: no API tokens; every protected route answers 401")

    @asynccontextmanager
    async def lifespan(self, _app: FastAPI) -> AsyncIterator[None]:
        s = self.settings
        configure_logging(s.service, s.log_level, s.log_format)
        self._check_tokens()
        await ensure_topics(s.kafka_bootstrap, s.topics.all_physical(), s.replication_factor)
        await self._prepare_store()
        await self.broker.start()
        tasks = [asyncio.create_task(self._loop(*loop), name=loop[0]) for loop in self._loops]
        log.info("service started", group_id=s.group_id, database=s.database, http_port=s.port)
        try:
            yield
        finally:
            log.info("service stopping")
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for hook in self._shutdown:
                try:
                    await hook()
                except Exception as exc:  # one failing hook must not keep the broker from committing and stopping
                    log.error("shutdown hook failed", hook=getattr(hook, "__qualname__", repr(hook)), error=repr(exc))
            await self.broker.stop()
            await self.mongo.close()
            log.info("service stopped")

    async def health(self) -> tuple[bool, dict[str, Any]]:
        kafka_ok = await self.broker.ping(timeout=2.0)
        try:
            await asyncio.wait_for(self.db.command("ping"), timeout=2.0)
            mongo_ok = True
        except Exception:
            mongo_ok = False
        ok = kafka_ok and mongo_ok
        self.dependency_up.labels(service=self.settings.service, dependency="kafka").set(1.0 if kafka_ok else 0.0)
        self.dependency_up.labels(service=self.settings.service, dependency="mongo").set(1.0 if mongo_ok else 0.0)
        return ok, {"service": self.settings.service, "status": "ok" if ok else "degraded",
                    "kafka": kafka_ok, "mongo": mongo_ok}

    def app(self, routers: list[APIRouter] | None = None, title: str | None = None) -> FastAPI:
        """The service's ASGI app: its routes plus ``/health`` and ``/metrics``."""
        app = FastAPI(title=title or f"kefu {self.settings.service}", lifespan=self.lifespan,
                      responses={422: ERROR_RESPONSES[422]})
        app.state.kit = self
        app.state.tokens = self.tokens
        app.add_middleware(HttpMetricsMiddleware, counter=self.http_requests, service=self.settings.service)
        install_error_handlers(app)
        origins = self.settings.cors_origin_list()
        if origins:
            # The workspace page (served by the dashboard) calls each service from the browser with the
            # user's bearer token: a header, not a cookie, so no credentials mode; preflights are answered
            # before auth (a browser sends no Authorization with an OPTIONS preflight).
            app.add_middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                               allow_headers=["Authorization", "Content-Type"], expose_headers=[NEXT_CURSOR],
                               max_age=600)

        @app.get("/health", tags=["operations"], openapi_extra=public("readiness probe; no data"))
        async def health() -> JSONResponse:
            ok, body = await self.health()
            return JSONResponse(body, status_code=200 if ok else 503)

        @app.get("/livez", tags=["operations"], openapi_extra=public("liveness probe; no data"))
        async def livez() -> dict[str, str]:
            """Liveness: the process answers. Unlike /health (readiness) it ignores Kafka and the store,
            so an outage of those makes instances unready without restarting them all."""
            return {"service": self.settings.service, "status": "alive"}

        @app.get("/stats", tags=["operations"], dependencies=[Depends(require(Role.OPS, *MANAGERS))])
        async def stats() -> dict[str, Any]:
            """Document counts of the service's main collections (for the demo and a quick look)."""
            # The metadata count: count_documents({}) walks the whole collection on SecantusDB.
            counts = {name: await self.db[name].estimated_document_count() for name in self.stats_collections}
            return {"service": self.settings.service, "counts": counts}

        @app.get("/metrics", tags=["operations"],
                 openapi_extra=public("Prometheus metrics: counts and states only, no personal data"))
        async def metrics() -> Response:
            return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)

        document_access([*app.routes, *(routers or [])], ERROR_RESPONSES)
        for router in routers or []:
            app.include_router(router)
        return app


def run(app: FastAPI, settings: ServiceSettings) -> None:
    """Serve ``app``; uvicorn turns SIGTERM/SIGINT into a graceful lifespan shutdown."""
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.port,
        log_config=None,
        timeout_graceful_shutdown=int(settings.graceful_timeout_s) + 5,
    )
