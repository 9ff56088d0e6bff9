"""Composition root of the surveys service.

Today it schedules the repair return visit (回访) each finished repair is owed;
publishing ``survey.due`` at the due time comes with the durable scheduler.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException
from kefu_contracts import REPAIR_COMPLETED, RepairCompleted, derived_event_id
from kefu_kit import ServiceKit, insert_once, subscriber_options
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from .settings import Settings

REPAIR_VISIT_DUE_AFTER = timedelta(hours=24)


async def ensure_indexes(db: AsyncDatabase[dict[str, Any]]) -> None:
    await db.return_visits.create_index([("status", ASCENDING), ("due_at", ASCENDING)])


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    kit = ServiceKit(settings, stats=("return_visits",))
    kit.on_startup(ensure_indexes)
    visits = kit.db.return_visits

    @kit.broker.subscriber(settings.topics(REPAIR_COMPLETED), **subscriber_options(settings))
    async def on_repair_completed(event: RepairCompleted) -> None:
        """A finished repair is owed a return visit within 24 hours."""
        await insert_once(
            visits,
            {
                "_id": derived_event_id("visit", event.event_id),
                "kind": "repair_return_visit",
                "case_id": event.case_id,
                "work_order_id": event.work_order_id,
                "project": event.project,
                "department": event.department,
                "due_at": event.completed_at + REPAIR_VISIT_DUE_AFTER,
                "status": "scheduled",
                "correlation_id": event.correlation_id,
                "cause_event_id": event.event_id,
            },
        )

    router = APIRouter(prefix="/return-visits", tags=["return visits"])

    @router.get("/{visit_id}")
    async def get_visit(visit_id: str) -> dict[str, Any]:
        visit = await visits.find_one({"_id": visit_id})
        if visit is None:
            raise HTTPException(404, f"no return visit {visit_id}")
        return visit

    return kit.app([router], title="kefu surveys")
