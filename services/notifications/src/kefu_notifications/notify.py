"""From events to their messages: make the batch decider's decisions durable, in bulk.

The decisions (who, where, which template, when) are ``domain.batch``'s; this
module writes them with one bulk write per collection, in an order that makes a
retry or a redelivery safe: the messages first (inserted once under their
deterministic ids), then the first attempts of those to deliver (the outbox) and
the failures of the unsendable, last the notices. A batch killed anywhere in
between is redone whole on redelivery: what was stored stays as stored, what is
missing is added, nothing is sent twice (an outbox entry is added again only for a
message whose first attempt was never claimed). An inbox message is delivered by
being recorded: the inbox is kefu's own store.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from kefu_contracts import Event, NotificationFailed

from .adapters.store import NotificationStore
from .domain.batch import Cause, Decisions, Rules, compose, follow_ups
from .domain.messages import Message
from .domain.quiet_hours import QuietHours
from .domain.recipients import Planned
from .domain.retry import RetryPolicy
from .domain.templates import TemplateBook
from .failures import FailureReporter


@dataclass
class Notifier:
    store: NotificationStore
    templates: TemplateBook
    quiet: QuietHours | None
    zone: ZoneInfo
    retry: RetryPolicy
    served: set[str]  # channels that have a provider
    failures: FailureReporter

    @property
    def rules(self) -> Rules:
        return Rules(self.templates, self.quiet, self.zone, self.retry.max_attempts, frozenset(self.served))

    async def record(self, causes: Sequence[Cause], now: datetime) -> list[NotificationFailed]:
        """Record and schedule the messages of ``causes``; the ``notification.failed`` events they owe (the
        same ids and content on every redelivery), for the caller to publish."""
        return await self._record(compose(causes, self.rules, now), now)

    async def _record(self, decisions: Decisions, now: datetime) -> list[NotificationFailed]:
        existing = await self.store.record_messages(decisions.messages)
        stored: dict[str, Message] = {}
        attempted: set[str] = set()
        if existing:  # a redelivery: what was stored first goes on
            stored, attempted = await asyncio.gather(self.store.messages_by_ids(existing),
                                                     self.store.first_attempt_claimed(existing))
        todo = follow_ups(decisions.messages, stored, attempted)
        _, failed = await asyncio.gather(self.store.schedule_first_attempts(todo.schedule),
                                         self.failures.record_unsendable(todo.unsendable, now))
        await self.store.record_notices(decisions.notices)
        return failed

    async def notify(self, event: Event, topic: str, planned: list[Planned], now: datetime,
                     case_id: str | None = None, ready_at: datetime | None = None) -> list[str]:
        """One event on its own (tools, tests): recorded as a batch of one, its failures published at once;
        its messages' ids."""
        decisions = compose([Cause(event, topic, planned, case_id, ready_at)], self.rules, now)
        for failed in await self._record(decisions, now):
            await self.failures.publish(failed)
        return decisions.message_ids[event.event_id]
