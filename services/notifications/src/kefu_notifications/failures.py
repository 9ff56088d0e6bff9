"""A message that cannot be delivered: one failed record and one ``notification.failed`` event.

Called again for the same message (a redelivery, a recovering instance), it
republishes the same event (same id, same content from the stored record), which
consumers drop as a repeat: publishing at least once is what matters.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from kefu_contracts import NotificationFailed
from kefu_kit import get_logger
from prometheus_client import CollectorRegistry, Counter

from .adapters.store import NotificationStore
from .domain.keys import failed_event_id
from .domain.messages import Message

log = get_logger(__name__)

MAX_ERROR_CHARS = 2000


def stored_time(value: datetime) -> datetime:
    """``value`` in UTC cut to the millisecond, as BSON keeps it: the event published from the record in hand
    is then the very event republished later from the stored record (it differed in the microseconds)."""
    value = value.astimezone(timezone.utc)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def failure_record(message: Mapping[str, Any], error: str, attempts: int, at: datetime) -> dict[str, Any]:
    return {"_id": message["_id"], "error": error[:MAX_ERROR_CHARS], "attempts": attempts,
            "failed_at": stored_time(at),
            "recipient": message["recipient"], "channel": message["channel"], "case_id": message.get("case_id")}


def failed_event(message: Mapping[str, Any], failure: Mapping[str, Any]) -> NotificationFailed:
    """The event of a failed message, from the stored failure: the same whoever builds it, however often."""
    return NotificationFailed(
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
    )


def _log_failed(message: Mapping[str, Any], failure: Mapping[str, Any]) -> None:
    log.warning("message failed for good", message_id=message["_id"], channel=message["channel"],
                template=message["template"], attempts=failure["attempts"], error=failure["error"][:300])


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
        """One message's failure (the delivery loop, after its last attempt), published at once."""
        failure = failure_record(message, error, attempts, at)
        if not await self.store.record_failure(failure):
            failure = await self.store.failure(message["_id"]) or failure
        else:
            self.failed.labels(channel=message["channel"]).inc()
            _log_failed(message, failure)
        await self.publish(failed_event(message, failure))

    async def record_unsendable(self, messages: Sequence[Message], at: datetime) -> list[NotificationFailed]:
        """A batch's unsendable messages: their failures in one bulk write (those recorded before are read back
        in one query); the events to publish, in the order of ``messages``."""
        docs = [m.to_doc() for m in messages]
        failures = [failure_record(d, d["unsendable"], 0, at) for d in docs]
        existing = await self.store.record_failures(failures)
        stored = await self.store.failures_by_ids(existing) if existing else {}
        events = []
        for doc, failure in zip(docs, failures, strict=True):
            if doc["_id"] in existing:
                failure = stored.get(doc["_id"], failure)
            else:
                self.failed.labels(channel=doc["channel"]).inc()
                _log_failed(doc, failure)
            events.append(failed_event(doc, failure))
        return events
