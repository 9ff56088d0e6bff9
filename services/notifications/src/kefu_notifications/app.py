"""Composition root of the notifications service."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from fastapi import APIRouter, FastAPI
from kefu_contracts import CASE_ASSIGNED, CaseAssigned
from kefu_kit import ServiceKit, subscriber_options

from .settings import Settings
from .store import NotificationStore, ensure_indexes, notification_id


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    kit = ServiceKit(settings, stats=("notifications",))
    kit.on_startup(ensure_indexes)
    store = NotificationStore(kit.db)

    @kit.broker.subscriber(settings.topics(CASE_ASSIGNED), **subscriber_options(settings))
    async def on_case_assigned(event: CaseAssigned) -> None:
        """Tell the department's inbox it has a new case."""
        recipient, channel = f"department:{event.department}", "inbox"
        await store.record(
            {
                "_id": notification_id(event.event_id, recipient, channel),
                "event_id": event.event_id,
                "correlation_id": event.correlation_id,
                "case_id": event.case_id,
                "recipient": recipient,
                "channel": channel,
                "template": "case_assigned",
                "text": f"新案件 {event.case_id}: {event.summary}",
                "status": "recorded",
                "event_occurred_at": event.occurred_at,
                "created_at": datetime.now(timezone.utc),
            }
        )

    router = APIRouter(prefix="/notifications", tags=["notifications"])

    @router.get("/by-case/{case_id}")
    async def by_case(case_id: str) -> list[dict[str, Any]]:
        """Every notification recorded about a case."""
        return await store.for_case(case_id)

    return kit.app([router], title="kefu notifications")
