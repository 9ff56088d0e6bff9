"""Notifications' store: one record per (event, recipient, channel), keyed so a repeat is impossible."""

from __future__ import annotations

from typing import Any

from kefu_contracts import derived_event_id
from kefu_kit import insert_once
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase


async def ensure_indexes(db: AsyncDatabase[dict[str, Any]]) -> None:
    await db.notifications.create_index([("recipient", ASCENDING), ("created_at", ASCENDING)])
    await db.notifications.create_index([("case_id", ASCENDING)])


def notification_id(event_id: str, recipient: str, channel: str) -> str:
    """The same event, recipient and channel always give the same id: at most one message each."""
    return derived_event_id("notification", event_id, recipient, channel)


class NotificationStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.notifications = db.notifications

    async def record(self, notification: dict[str, Any]) -> bool:
        """False when this notification was recorded before (a redelivered event)."""
        return await insert_once(self.notifications, notification)

    async def for_case(self, case_id: str) -> list[dict[str, Any]]:
        return await self.notifications.find({"case_id": case_id}).to_list()
