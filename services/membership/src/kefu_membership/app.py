"""Composition root of the membership service: the owners' club (城投会 / 客户会).

Consumes ``property.handed_over`` (owners join at handover) and ``survey.answered``
(points); publishes ``member.joined``, ``member.tier_changed`` (routing learns VIP
owners), ``community_event.signup_changed`` and ``community_event.attended``.
Background loops: the outbox relay of interrupted changes, closing community
events past their end, and the member review (points expiry, tiers by years).
"""

from __future__ import annotations

import tomllib
from datetime import datetime, timedelta, timezone

from fastapi import FastAPI
from kefu_contracts import (
    COMMUNITY_EVENT_ATTENDED,
    COMMUNITY_EVENT_SIGNUP_CHANGED,
    MEMBER_JOINED,
    MEMBER_TIER_CHANGED,
    PROPERTY_HANDED_OVER,
    SURVEY_ANSWERED,
    PropertyHandedOver,
    SurveyAnswered,
)
from kefu_kit import ServiceKit, subscriber_options
from prometheus_client import Counter, Gauge

from . import activities, earning, joining, review
from .adapters.parked import ParkedAnswers, ensure_parked_indexes
from .adapters.owner_reads import ensure_owner_indexes
from .adapters.store import ActivityStore, Benefits, Ledger, MemberStore, Referrals, ensure_indexes
from .api import build_router
from .lookup import build_router as lookup_router
from .context import Club
from .owner_api import build_owner_router, owner_links
from .domain.points import parse_earn_rules
from .domain.tiers import parse_tier_table
from .settings import Settings

PUBLISHES = (MEMBER_JOINED, MEMBER_TIER_CHANGED, COMMUNITY_EVENT_SIGNUP_CHANGED, COMMUNITY_EVENT_ATTENDED)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    kit = ServiceKit(settings, stats=("members", "points", "activities", "redemptions"))
    kit.on_startup(ensure_indexes)
    kit.on_startup(ensure_parked_indexes)
    kit.on_startup(ensure_owner_indexes)
    publish = kit.publisher(*PUBLISHES)

    club = Club(
        members=MemberStore(kit.db, publish),
        activities=ActivityStore(kit.db, publish),
        ledger=Ledger(kit.db),
        benefits=Benefits(kit.db),
        referrals=Referrals(kit.db),
        event_minutes=settings.event_duration_minutes,
        parked=ParkedAnswers(kit.db),
        parked_max_age=timedelta(seconds=settings.parked_max_age_s),
        links=owner_links(settings),
    )
    parked_now = Gauge("kefu_membership_parked_answers", "Survey answers waiting for their owner to join",
                       registry=kit.registry)
    parked_expired = Counter("kefu_membership_parked_expired",
                             "Parked survey answers whose owner never joined (no points)", registry=kit.registry)
    if settings.tiers_file:
        club.tiers = parse_tier_table(tomllib.loads(settings.tiers_file.read_text(encoding="utf-8")))
    if settings.points_file:
        club.rules = parse_earn_rules(tomllib.loads(settings.points_file.read_text(encoding="utf-8")))
    group = subscriber_options(settings)

    def now() -> datetime:
        return datetime.now(timezone.utc)

    @kit.broker.subscriber(settings.topics(PROPERTY_HANDED_OVER), **group)
    async def on_property_handed_over(event: PropertyHandedOver) -> None:
        """A unit was handed over: its owner joins the club (once) or adds the unit."""
        await joining.handed_over(club, event, now())

    @kit.broker.subscriber(settings.topics(SURVEY_ANSWERED), **group)
    async def on_survey_answered(event: SurveyAnswered) -> None:
        """An answered return visit or survey earns points (once per answer; before its owner joined: held)."""
        await earning.survey_answered(club, event, now())

    async def relay() -> None:
        await club.members.relay_once()
        await club.activities.relay_once()

    async def close_due() -> None:
        await activities.close_due(club, now())

    async def review_members() -> None:
        await review.review_members(club, now())

    async def expire_parked() -> None:
        expired, still = await earning.expire_parked(club, now())
        parked_expired.inc(expired)
        parked_now.set(still)

    kit.every("outbox-relay", settings.relay_interval_s, relay)
    kit.every("parked-answers", settings.parked_check_interval_s, expire_parked)
    kit.every("close-community-events", settings.close_interval_s, close_due)
    kit.every("member-review", settings.review_interval_s, review_members)
    app = kit.app([build_router(club), build_owner_router(club, kit.db), lookup_router(club)], title="kefu membership")
    app.state.club = club
    return app
