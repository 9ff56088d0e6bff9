"""Composition root of the dashboard service: its one subscriber, its store, its feed, its API and page.

It also samples the consumer lag of every kefu service (``kefu_kit.lag``) for the
page's lag panel and its own ``/metrics``.

One subscriber takes every topic the read model needs, so an instance applies
its events one at a time; the range assignor gives partition N of every topic
to the same instance, and the case topics are all keyed by case id, so one
case's events meet in one instance. ``survey.answered`` (keyed by customer) and
group complaints (naming other cases) may reach a case from another instance:
the store's revision claims keep those writes safe.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from importlib import resources

from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from faststream.kafka.annotations import KafkaMessage
from kefu_kit import ServiceKit, subscriber_options
from kefu_kit.auth import public, require
from kefu_kit.lag import LagCollector, LagMonitor, kefu_groups_prefix

from .api import REPORT_READERS, build_router
from .feed import FeedHub
from .ingest import ingest, parse
from .projection import CONSUMED
from .report.api import make_router as report_router
from .report.api import store_sources
from .report.quality_api import make_quality_router, quality_source
from .settings import Settings
from .store import CaseStore, ensure_indexes
from .workspace import build_router as workspace_router

STATIC = resources.files("kefu_dashboard") / "static"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    kit = ServiceKit(settings, stats=("cases", "answers", "feed"))
    kit.on_startup(ensure_indexes)
    store = CaseStore(kit.db)
    hub = FeedHub(store, timedelta(seconds=settings.feed_overlap_s))

    @kit.broker.subscriber(*(settings.topics(t) for t in CONSUMED), **subscriber_options(settings),
                           partition_assignment_strategy=(RangePartitionAssignor,),
                           description="case, complaint and survey events, applied to the read model in order")
    async def on_event(msg: KafkaMessage) -> None:
        """Any event the read model needs: its facts go to its case (and, for an answer, to ``answers``)."""
        topic = settings.topics.logical(msg.raw_message.topic)
        await ingest(topic, parse(topic, msg.body), store)

    async def prune() -> None:
        now = datetime.now(timezone.utc)
        await store.prune_feed(now - timedelta(seconds=settings.feed_retention_s))
        await store.prune_revisions(now - timedelta(seconds=settings.revisions_retention_s))

    lag = LagMonitor(settings.kafka_bootstrap, kefu_groups_prefix(settings.namespace))
    kit.registry.register(LagCollector(lag))

    kit.every("live-feed", settings.feed_poll_s, hub.poll)
    kit.every("prune", 300.0, prune)
    kit.every("consumer-lag", settings.lag_interval_s, lag.sample)
    kit.on_shutdown(lag.close)
    api = build_router(store, hub, lag, settings.feed_recent, settings.stream_keepalive_s)
    readers = require(*REPORT_READERS)  # the center's report readers (the reports refuse department staff too)
    report = report_router(*store_sources(store.cases, store.answers), readers)
    quality = make_quality_router(quality_source(store.cases, store.answers), readers)
    app = kit.app([api, report, quality, _page_router(), workspace_router(settings)], title="kefu dashboard")
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    return app


def _page_router() -> APIRouter:
    router = APIRouter(tags=["page"])

    @router.get("/", include_in_schema=False,
                openapi_extra=public("the page's HTML and script; its data comes from the API, with the user's token"))
    async def page() -> FileResponse:
        return FileResponse(str(STATIC / "index.html"), headers={"Cache-Control": "no-cache"})

    return router

