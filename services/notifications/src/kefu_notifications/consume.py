"""Notifications' batch handler: one batch of one topic's events, read once, decided in pure code, written in bulk.

Per batch: the owners' preferences in one read (staff-only topics read nothing),
the decisions of ``domain.batch`` over them, the writes of ``notify.Notifier``,
and the ``notification.failed`` events handed to the batch, which the kit
publishes (all sent, then all acks awaited) before it commits the offsets.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from kefu_kit import Batch

from .adapters.store import NotificationStore
from .domain.batch import cause_of, customers_of
from .domain.directory import StaffDirectory
from .notify import Notifier


class NotificationConsumer:
    def __init__(self, store: NotificationStore, directory: StaffDirectory, notifier: Notifier,
                 clock: Callable[[], datetime]) -> None:
        self.store, self.directory, self.notifier, self.clock = store, directory, notifier, clock

    async def handle(self, topic: str, batch: Batch) -> None:  # type: ignore[type-arg]
        events = batch.events_in
        customers = customers_of(events)
        preferences = await self.store.preferences_of(customers) if customers else {}
        causes = [cause_of(topic, event, self.directory, preferences) for event in events]
        for failed in await self.notifier.record(causes, self.clock()):
            batch.publish(failed)
