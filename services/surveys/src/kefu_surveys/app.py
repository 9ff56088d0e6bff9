"""Composition root of the surveys service: its broker, store, subscriptions, loops and routes.

Surveys owes return visits (回访) after finished repairs and closed complaints, asks for
feedback after community events, runs periodic satisfaction campaigns at a bounded rate,
records answers (agents' phone visits, owners' links) and counts the results.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from fastapi import FastAPI
from kefu_contracts import (
    CASE_STATUS_CHANGED,
    COMMUNITY_EVENT_ATTENDED,
    MEMBER_JOINED,
    PROPERTY_HANDED_OVER,
    REPAIR_COMPLETED,
    SURVEY_ANSWERED,
    SURVEY_DUE,
    CaseStatusChanged,
    CommunityEventAttended,
    MemberJoined,
    PropertyHandedOver,
    RepairCompleted,
)
from kefu_kit import ServiceKit, subscriber_options

from . import campaigns, return_visits, scheduler
from .adapters.store import (
    AnswerStore,
    CampaignCounts,
    CampaignStore,
    CaseMap,
    CustomerStore,
    DueOutbox,
    LinkStore,
    Outbox,
    SurveyStore,
    backfill_list_fields,
    ensure_indexes,
)
from .api import build_router
from .context import Surveys
from .settings import Settings

PUBLISHES = (SURVEY_DUE, SURVEY_ANSWERED)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    kit = ServiceKit(settings, stats=("surveys", "answers", "customers", "campaigns"))
    kit.on_startup(ensure_indexes)
    kit.on_startup(backfill_list_fields)
    publish = kit.publisher(*PUBLISHES)

    surveys, counts = SurveyStore(kit.db), CampaignCounts(kit.db)
    r = Surveys(
        settings=settings,
        surveys=surveys,
        # the outbox collection of earlier versions is still relayed until it holds nothing unsent
        outbox=DueOutbox(surveys, publish, counts, legacy=Outbox(kit.db.outbox, publish)),
        answers=AnswerStore(kit.db.answers, publish),
        links=LinkStore(kit.db),
        customers=CustomerStore(kit.db),
        cases=CaseMap(kit.db),
        campaigns=CampaignStore(kit.db, publish),
        counts=counts,
    )
    group = subscriber_options(settings)
    feedback_after = timedelta(seconds=settings.event_feedback_due_after_s)

    def now() -> datetime:
        return datetime.now(timezone.utc)

    @kit.broker.subscriber(settings.topics(REPAIR_COMPLETED), **group)
    async def on_repair_completed(event: RepairCompleted) -> None:
        """A finished repair owes a return visit (keyed by this event: a later fix owes another)."""
        await return_visits.repair_completed(event, r, now())

    @kit.broker.subscriber(settings.topics(CASE_STATUS_CHANGED), **group)
    async def on_case_status_changed(event: CaseStatusChanged) -> None:
        """Who a case's customer is; a closed complaint owes a return visit."""
        await return_visits.case_status_changed(event, r, now())

    @kit.broker.subscriber(settings.topics(MEMBER_JOINED), **group)
    async def on_member_joined(event: MemberJoined) -> None:
        """How to reach a new club member."""
        await r.customers.learn(event.customer_id, event.contact.model_dump(exclude_none=True))

    @kit.broker.subscriber(settings.topics(PROPERTY_HANDED_OVER), **group)
    async def on_property_handed_over(event: PropertyHandedOver) -> None:
        """How to reach an owner, and their project (campaigns ask a project's owners)."""
        await r.customers.learn(event.customer_id, event.contact.model_dump(exclude_none=True), event.project)

    @kit.broker.subscriber(settings.topics(COMMUNITY_EVENT_ATTENDED), **group)
    async def on_community_event_attended(event: CommunityEventAttended) -> None:
        """An attended community event owes a feedback survey."""
        await return_visits.community_event_attended(event, r, now(), feedback_after)

    async def run_scheduler() -> None:
        await scheduler.run_once(r, now())

    async def relay() -> None:
        before = now() - timedelta(seconds=settings.relay_grace_s)
        await r.outbox.relay(before)
        await r.answers.relay(before)

    kit.every("survey-scheduler", settings.scheduler_interval_s, run_scheduler)
    kit.every("campaign-pacer", settings.campaign_interval_s, campaigns.Pacer(r).tick)
    kit.every("outbox-relay", settings.relay_interval_s, relay)

    async def prune_links() -> None:
        await r.links.prune(now(), timedelta(seconds=settings.link_keep_s))

    kit.every("link-prune", 3600.0, prune_links)  # owners' links only grow otherwise
    app = kit.app([build_router(r)], title="kefu surveys")
    app.state.surveys = r
    return app
