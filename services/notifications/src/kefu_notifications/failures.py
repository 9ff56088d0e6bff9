"""A message that cannot be delivered: one failed record and one ``notification.failed`` event.

Called again for the same message (a redelivery, a recovering instance), it
republishes the same event (same id, same content from the stored record), which
consumers drop as a repeat: publishing at least once is what matters.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from kefu_contracts import NotificationFailed
from kefu_kit import get_logger
from prometheus_client import CollectorRegistry, Counter

from .adapters.store import NotificationStore
from .domain.keys import failed_event_id

log = get_logger(__name__)

MAX_ERROR_CHARS = 2000


class FailureReporter:
    def __init__(self, store: NotificationStore, publish: Callable[[NotificationFailed], Awaitable[None]],
                 registry: CollectorRegistry | None = None) -> None:
        self.store = store
        self.publish = publish
        # Counted once per message, when its failure is first recorded (a republish is not a new failure):
        # the alert on notifications failing after their retries reads this.
        self.failed = Counter("kefu_notifications_failed", "Messages given up on: retries exhausted or unsendable",
                              ["channel"], registry=registry)

    async def report(self, message: dict[str, Any], error: str, attempts: int, at: datetime) -> None:
        failure = {"_id": message["_id"], "error": error[:MAX_ERROR_CHARS], "attempts": attempts, "failed_at": at,
                   "recipient": message["recipient"], "channel": message["channel"], "case_id": message.get("case_id")}
        if not await self.store.record_failure(failure):
            failure = await self.store.failure(message["_id"]) or failure
        else:
            self.failed.labels(channel=message["channel"]).inc()
            log.warning("message failed for good", message_id=message["_id"], channel=message["channel"],
                        template=message["template"], attempts=failure["attempts"], error=failure["error"][:300])
        await self.publish(NotificationFailed(
            event_id=failed_event_id(message["_id"]),
            occurred_at=failure["failed_at"],
            correlation_id=message["correlation_id"],
            causation_id=message["cause_event_id"],
            notification_id=message["_id"],
            cause_event_id=message["cause_event_id"],
            cause_topic=message["cause_topic"],
            recipient=message["recipient"],
            channel=message["channel"],
            template=message["template"],
            attempts=max(1, failure["attempts"]),  # the contract counts from 1: an unsendable message made none
            error=failure["error"],
            failed_at=failure["failed_at"],
        ))
