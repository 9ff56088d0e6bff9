"""Composition root of the routing service: its broker, store, subscriptions and routes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Query
from kefu_contracts import CASE_ASSIGNED, CASE_OPENED, CaseOpened
from kefu_kit import ServiceKit, publish_event, publisher_for, subscriber_options

from .adapters.store import CaseStore, ensure_indexes
from .cases import open_case
from .settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    kit = ServiceKit(settings, stats=("cases",))
    kit.on_startup(ensure_indexes)
    store = CaseStore(kit.db)
    case_assigned = publisher_for(kit.broker, settings, CASE_ASSIGNED)

    @kit.broker.subscriber(settings.topics(CASE_OPENED), **subscriber_options(settings))
    async def on_case_opened(event: CaseOpened) -> None:
        """A new case from intake: give it a department."""
        await publish_event(case_assigned, await open_case(event, store))

    router = APIRouter(prefix="/cases", tags=["cases"])

    @router.get("")
    async def list_cases(
        department: str | None = None,
        status: str | None = None,
        kind: str | None = None,
        project: str | None = None,
        limit: int = Query(20, ge=1, le=500),
        skip: int = Query(0, ge=0),
    ) -> list[dict[str, Any]]:
        """Cases, newest first, filtered by department, status, kind and project."""
        filters = {"department": department, "status": status, "kind": kind, "project": project}
        return await store.find({k: v for k, v in filters.items() if v is not None}, limit=limit, skip=skip)

    @router.get("/{case_id}")
    async def get_case(case_id: str) -> dict[str, Any]:
        """One case with its timeline."""
        case = await store.get(case_id)
        if case is None:
            raise HTTPException(404, f"no case {case_id}")
        return case

    return kit.app([router], title="kefu routing")
