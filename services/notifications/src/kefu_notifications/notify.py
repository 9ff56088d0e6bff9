"""From an event to its messages: render, time and record each planned message, then put it in the outbox.

The decisions (who, where, which template) are the domain's; this module makes
them durable. Each message is inserted once under its deterministic id and its
first attempt scheduled once (an inbox message is delivered by being recorded:
the inbox is kefu's own store); a message that cannot be rendered (or has no
provider for its channel) is recorded as failed and reported, never sent empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from kefu_contracts import Event

from .adapters.store import NotificationStore, message_facets
from .domain.keys import message_id
from .domain.quiet_hours import QuietHours, send_at
from .domain.recipients import Planned
from .domain.retry import RetryPolicy
from .domain.status import INBOX, derive_status
from .domain.templates import TemplateBook, TemplateError, message_fields
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

    async def notify(self, event: Event, topic: str, planned: list[Planned], now: datetime,
                     case_id: str | None = None, ready_at: datetime | None = None) -> list[str]:
        """Record and schedule the planned messages; their ids."""
        fields = message_fields(event, self.zone)
        ready = max(ready_at or now, now)
        messages = [self._message(event, topic, plan, fields, now, case_id, ready) for plan in planned]
        for message, inserted in zip(messages, await self.store.add_messages(messages)):
            if message.get("unsendable"):
                await self.failures.report(message, message["unsendable"], 0, now)
            elif message["channel"] == INBOX:
                continue  # recorded is delivered
            elif inserted or not await self.store.ever_attempted(message["_id"]):
                await self.store.schedule(message, 1, message["send_at"])
        return [m["_id"] for m in messages]

    def _message(self, event: Event, topic: str, plan: Planned, fields: dict[str, Any], now: datetime,
                 case_id: str | None, ready_at: datetime) -> dict[str, Any]:
        quiet = self.quiet if plan.audience == "owner" else None
        message: dict[str, Any] = {
            "_id": message_id(event.event_id, plan.recipient, plan.channel),
            "cause_event_id": event.event_id, "cause_topic": topic,
            "correlation_id": event.correlation_id or event.event_id,
            "case_id": case_id, "recipient": plan.recipient, "audience": plan.audience,
            "channel": plan.channel, "address": plan.address,
            "template": plan.template, "urgent": plan.urgent, "ready_at": ready_at,
            "send_at": send_at(ready_at, quiet, plan.urgent), "max_attempts": self.retry.max_attempts,
            "created_at": now,
        }
        try:
            text = self.templates.render(plan.template, plan.locale, {**fields, **plan.fields})
            message.update(locale=text.locale, subject=text.subject, text=text.body)
        except TemplateError as exc:
            message["unsendable"] = str(exc)
        if plan.channel != INBOX and plan.channel not in self.served and not message.get("unsendable"):
            message["unsendable"] = f"no provider serves channel {plan.channel!r} (settings channel_providers)"
        message["status"] = derive_status(message, [])  # scheduled, or settled at once (inbox, unsendable)
        message["facets"] = message_facets(message, message["status"])
        return message
