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
from kefu_kit import ServiceKit, publish_event, publisher_for, subscriber_options

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
from .delivery import Deliverer
from .domain import recipients
from .domain.directory import StaffDirectory, default_directory, parse_directory
from .domain.keys import message_id
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
    group = subscriber_options(settings)

    def now() -> datetime:
        return datetime.now(timezone.utc)

    async def preference_of(customer_id: str | None) -> recipients.Preference | None:
        doc = await store.preference(customer_id) if customer_id else None
        return recipients.Preference(doc.get("channel"), doc["locale"]) if doc else None

    @kit.broker.subscriber(settings.topics(CASE_ASSIGNED), **group)
    async def on_case_assigned(event: CaseAssigned) -> None:
        """The department's inbox (and its other channels) and the assignee hear of the new case."""
        at = now()
        ids = await notifier.notify(event, CASE_ASSIGNED, recipients.for_case_assigned(event, directory), at,
                                    case_id=event.case_id)
        recipient = f"department:{event.department}"
        await store.record_notice({
            "_id": message_id(event.event_id, recipient, "inbox"), "event_id": event.event_id,
            "correlation_id": event.correlation_id, "case_id": event.case_id, "recipient": recipient,
            "department": event.department, "assignee": event.assignee, "message_ids": ids, "created_at": at,
        })

    @kit.broker.subscriber(settings.topics(COMPLAINT_ESCALATED), **group)
    async def on_complaint_escalated(event: ComplaintEscalated) -> None:
        """The approver of the new level and the department, at once (staff have no quiet hours)."""
        await notifier.notify(event, COMPLAINT_ESCALATED, recipients.for_complaint_escalated(event, directory),
                              now(), case_id=event.case_id)

    @kit.broker.subscriber(settings.topics(SURVEY_DUE), **group)
    async def on_survey_due(event: SurveyDue) -> None:
        """The owner's return visit or survey invitation, not before it is due nor inside quiet hours."""
        planned = recipients.for_survey_due(event, await preference_of(event.customer.customer_id))
        await notifier.notify(event, SURVEY_DUE, planned, now(), case_id=event.case_id, ready_at=event.due_at)

    @kit.broker.subscriber(settings.topics(MEMBER_JOINED), **group)
    async def on_member_joined(event: MemberJoined) -> None:
        planned = recipients.for_member_joined(event, await preference_of(event.customer_id))
        await notifier.notify(event, MEMBER_JOINED, planned, now())

    @kit.broker.subscriber(settings.topics(COMMUNITY_EVENT_SIGNUP_CHANGED), **group)
    async def on_signup_changed(event: CommunityEventSignupChanged) -> None:
        planned = recipients.for_signup_changed(event, await preference_of(event.customer_id))
        await notifier.notify(event, COMMUNITY_EVENT_SIGNUP_CHANGED, planned, now())

    kit.every("delivery", settings.delivery_interval_s, deliverer.run_once)
    app = kit.app([build_router(store)], title="kefu notifications")
    app.state.store = store
    return app
