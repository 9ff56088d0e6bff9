"""Composition root of the notifications service: subscriptions, the delivery loop, providers and routes."""

from __future__ import annotations

import tomllib
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from kefu_contracts import (
    CASE_ASSIGNED,
    COMMUNITY_EVENT_SIGNUP_CHANGED,
    COMPLAINT_ESCALATED,
    MEMBER_JOINED,
    NOTIFICATION_FAILED,
    SURVEY_DUE,
    CaseAssigned,
    CommunityEventSignupChanged,
    ComplaintEscalated,
    MemberJoined,
    NotificationFailed,
    SurveyDue,
)
from kefu_kit import Batch, ServiceKit, publish_event, publisher_for, subscribe_batches

from .adapters.providers import (
    FileProvider,
    GatewayProvider,
    Provider,
    SmtpConfig,
    SmtpProvider,
    WebhookProvider,
)
from .adapters.store import NotificationStore, backfill_list_fields, ensure_indexes
from .api import build_router
from .consume import NotificationConsumer
from .delivery import Deliverer
from .domain.directory import StaffDirectory, default_directory, parse_directory
from .domain.quiet_hours import parse_quiet_hours
from .domain.retry import RetryPolicy
from .domain.templates import TemplateBook, default_templates, parse_templates
from .failures import FailureReporter
from .notify import Notifier
from .settings import Settings


def _toml(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def build_providers(settings: Settings) -> dict[str, Provider]:
    """The provider of each channel, as ``channel_providers`` says; a gateway or SMTP missing its settings fails
    at start, webhooks without a secret are not sent (their messages fail visibly)."""
    providers: dict[str, Provider] = {}
    for channel, kind in settings.channel_providers.items():
        if kind == "file":
            providers[channel] = FileProvider(settings.sent_file())
        elif kind == "webhook":
            if settings.webhook_secret is None:
                continue
            providers[channel] = WebhookProvider(settings.webhook_secret.get_secret_value().encode(),
                                                 settings.http_timeout_s)
        elif kind == "gateway":
            url = settings.gateway_urls.get(channel)
            if not url:
                raise ValueError(f"channel {channel} uses the gateway provider but gateway_urls has no URL for it")
            token = settings.gateway_token.get_secret_value() if settings.gateway_token else None
            providers[channel] = GatewayProvider(url, token, settings.http_timeout_s)
        elif kind == "smtp":
            if not settings.smtp_host:
                raise ValueError(f"channel {channel} uses the smtp provider but smtp_host is not set")
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
            providers[channel] = SmtpProvider(SmtpConfig(
                settings.smtp_host, settings.smtp_port, settings.smtp_sender, settings.smtp_username, password,
                settings.smtp_starttls, settings.http_timeout_s))
    return providers


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    kit = ServiceKit(settings, stats=("notifications", "messages", "schedules", "failures"))
    kit.on_startup(ensure_indexes)
    kit.on_startup(backfill_list_fields)
    store = NotificationStore(kit.db)
    failed_publisher = publisher_for(kit.broker, settings, NOTIFICATION_FAILED)

    async def publish_failed(event: NotificationFailed) -> None:
        await publish_event(failed_publisher, event)

    directory: StaffDirectory = (parse_directory(_toml(settings.staff_directory_file))
                                 if settings.staff_directory_file else default_directory())
    templates: TemplateBook = (parse_templates(_toml(settings.templates_file))
                               if settings.templates_file else default_templates())
    retry = RetryPolicy(settings.max_attempts, timedelta(seconds=settings.retry_base_s),
                        timedelta(seconds=max(settings.retry_cap_s, settings.retry_base_s)))
    failures = FailureReporter(store, publish_failed, kit.registry)
    providers = build_providers(settings)
    notifier = Notifier(store, templates, parse_quiet_hours(settings.quiet_hours, settings.quiet_hours_zone),
                        ZoneInfo(settings.template_zone), retry, set(providers), failures)
    deliverer = Deliverer(store, providers, retry, failures,
                          batch=settings.delivery_batch, concurrency=settings.delivery_concurrency,
                          lease=timedelta(seconds=settings.claim_lease_s))
    consumer = NotificationConsumer(store, directory, notifier, lambda: datetime.now(timezone.utc))

    def batches(topic: str) -> Any:
        return subscribe_batches(kit, topic, publishes=(NOTIFICATION_FAILED,), max_records=settings.batch_max_records,
                                 batch_timeout_ms=settings.batch_timeout_ms)

    @batches(CASE_ASSIGNED)
    async def on_case_assigned(batch: Batch[CaseAssigned]) -> None:
        """The department's inbox (and its other channels) and the assignee hear of each new case."""
        await consumer.handle(CASE_ASSIGNED, batch)

    @batches(COMPLAINT_ESCALATED)
    async def on_complaint_escalated(batch: Batch[ComplaintEscalated]) -> None:
        """The approver of the new level and the department, at once (staff have no quiet hours)."""
        await consumer.handle(COMPLAINT_ESCALATED, batch)

    @batches(SURVEY_DUE)
    async def on_survey_due(batch: Batch[SurveyDue]) -> None:
        """The owner's return visit or survey invitation, not before it is due nor inside quiet hours."""
        await consumer.handle(SURVEY_DUE, batch)

    @batches(MEMBER_JOINED)
    async def on_member_joined(batch: Batch[MemberJoined]) -> None:
        """The new member's welcome, on the owner's channel."""
        await consumer.handle(MEMBER_JOINED, batch)

    @batches(COMMUNITY_EVENT_SIGNUP_CHANGED)
    async def on_signup_changed(batch: Batch[CommunityEventSignupChanged]) -> None:
        """Confirmed, waitlisted, promoted or cancelled: the owner hears (a check-in needs no message)."""
        await consumer.handle(COMMUNITY_EVENT_SIGNUP_CHANGED, batch)

    kit.every("delivery", settings.delivery_interval_s, deliverer.drain)
    app = kit.app([build_router(store)], title="kefu notifications")
    app.state.store = store
    return app
