"""Composition root of the knowledge service: its store, search index, subscriptions and routes.

Knowledge keeps the standard knowledge base (articles the supervisor writes, versioned) and the case
library (closed cases with their resolution, stripped of personal data), and answers searches and
suggestions over both in Chinese (jieba + BM25, ``domain/``).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from kefu_contracts import CASE_OPENED, CASE_STATUS_CHANGED, CaseOpened, CaseStatusChanged
from kefu_kit import ServiceKit, subscriber_options
from pymongo.asynchronous.database import AsyncDatabase

from . import events
from .adapters.store import ArticleStore, LibraryStore, ensure_indexes
from .api import build_router
from .context import Knowledge
from .search import SearchIndex
from .seed import load_starter
from .settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    kit = ServiceKit(settings, stats=("articles", "article_versions", "library", "case_facts"))
    articles, library = ArticleStore(kit.db), LibraryStore(kit.db)
    index = SearchIndex(articles, library, overlap_s=settings.index_overlap_s)
    k = Knowledge(settings=settings, articles=articles, library=library, index=index)

    kit.on_startup(ensure_indexes)

    async def prepare(_db: AsyncDatabase[dict[str, Any]]) -> None:
        """Starter articles first, then the whole index from the store: the first request finds everything."""
        if settings.load_starter_articles:
            await load_starter(index)
        await index.refresh()

    kit.on_startup(prepare)
    group = subscriber_options(settings)

    @kit.broker.subscriber(settings.topics(CASE_OPENED), **group)
    async def on_case_opened(event: CaseOpened) -> None:
        """The problem of a case, for its library entry."""
        await events.case_opened(event, library, index)

    @kit.broker.subscriber(settings.topics(CASE_STATUS_CHANGED), **group)
    async def on_case_status_changed(event: CaseStatusChanged) -> None:
        """The resolution and the closing of a case: a closed case with a resolution becomes an entry."""
        await events.case_status_changed(event, library, index)

    kit.every("index-refresh", settings.index_refresh_s, index.refresh)
    app = kit.app([build_router(k)], title="kefu knowledge")
    app.state.knowledge = k
    return app
