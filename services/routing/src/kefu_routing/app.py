"""Composition root of the routing service: its broker, store, subscriptions, timers and routes."""

from __future__ import annotations

import tomllib
from datetime import datetime, timedelta, timezone

from fastapi import FastAPI
from kefu_contracts import (
    CASE_ASSIGNED,
    CASE_FOLLOWED_UP,
    CASE_OPENED,
    CASE_STATUS_CHANGED,
    COMPLAINT_ESCALATED,
    COMPLAINT_GROUP_CHANGED,
    DEFECT_BATCH_SUSPECTED,
    MEMBER_TIER_CHANGED,
    REPAIR_COMPLETED,
    SURVEY_ANSWERED,
    CaseFollowedUp,
    CaseOpened,
    MemberTierChanged,
    SurveyAnswered,
)
from kefu_kit import Batch, ServiceKit, subscribe_batches

from . import upkeep
from .adapters.parked import ParkedStore
from .adapters.store import (
    CaseRepository,
    DefectSignals,
    GroupRepository,
    RecentReports,
    TimerStore,
    VipStore,
    ensure_indexes,
)
from .api import build_router
from .batch_handlers import BatchHandlers
from .calendar_gaps import CalendarGaps
from .context import Routing
from .domain.calendar import load_calendar
from .domain.complaints import GroupPolicy
from .domain.groups import load_group_rule
from .domain.sla import parse_sla_table
from .domain.workload import parse_roster
from .parking import Parking
from .settings import Settings

PUBLISHES = (CASE_ASSIGNED, CASE_STATUS_CHANGED, COMPLAINT_ESCALATED, COMPLAINT_GROUP_CHANGED, REPAIR_COMPLETED,
             DEFECT_BATCH_SUSPECTED)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    kit = ServiceKit(settings, stats=("cases", "groups", "timers"))
    kit.on_startup(ensure_indexes)
    publish = kit.publisher(*PUBLISHES)

    r = Routing(
        cases=CaseRepository(kit.db, publish),
        groups=GroupRepository(kit.db, publish),
        timers=TimerStore(kit.db),
        vips=VipStore(kit.db),
        reports=RecentReports(kit.db),
        group_policy=GroupPolicy(settings.group_min_owners, timedelta(hours=settings.group_window_hours)),
        group_kinds=tuple(settings.group_kinds),
        repeat_window=timedelta(days=settings.repeat_window_days),
        signals=DefectSignals(kit.db, publish),
    )
    if settings.group_rule_file:
        r.group_rule = load_group_rule(settings.group_rule_file.read_text(encoding="utf-8"))
    r.workload_refresh = timedelta(seconds=settings.workload_refresh_s)
    r.parking = Parking(ParkedStore(kit.db), kit.registry, kit.guard.dead_letter_record,
                        timedelta(seconds=settings.parked_max_age_s), settings.batch_concurrency)
    if settings.sla_file:
        r.sla = parse_sla_table(tomllib.loads(settings.sla_file.read_text(encoding="utf-8")))
    if settings.calendar_file or settings.calendar_years_dir:
        r.calendar = load_calendar(settings.calendar_file, settings.calendar_years_dir)
    r.calendar_gaps = CalendarGaps(kit.registry)
    if settings.staff_file:
        r.workload.roster = parse_roster(
            tomllib.loads(settings.staff_file.read_text(encoding="utf-8")), r.rules.departments)

    def now() -> datetime:
        return datetime.now(timezone.utc)

    handlers = BatchHandlers(r, now, settings.batch_concurrency)
    batches = {"max_records": settings.batch_max_records, "batch_timeout_ms": settings.batch_timeout_ms}

    @subscribe_batches(kit, CASE_OPENED, **batches)
    async def on_case_opened(batch: Batch[CaseOpened]) -> None:
        """New cases from intake: warranty, department, person, level, deadlines, group complaints."""
        await handlers.cases_opened(batch)

    @subscribe_batches(kit, CASE_FOLLOWED_UP, **batches)
    async def on_case_followed_up(batch: Batch[CaseFollowedUp]) -> None:
        """More contacts about open cases (one that comes before its case waits for it: ``parking``)."""
        await handlers.cases_followed_up(batch)

    @subscribe_batches(kit, SURVEY_ANSWERED, **batches)
    async def on_survey_answered(batch: Batch[SurveyAnswered]) -> None:
        """Return visits' answers: dissatisfied reopens and escalates, satisfied closes."""
        await handlers.surveys_answered(batch)

    @subscribe_batches(kit, MEMBER_TIER_CHANGED, **batches)
    async def on_member_tier_changed(batch: Batch[MemberTierChanged]) -> None:
        """Membership says who is a VIP owner; routing keeps its own copy."""
        await handlers.tiers_changed(batch)

    async def fire_due_timers() -> None:
        await upkeep.fire_due_timers(r, now())

    async def relay() -> None:
        await r.cases.relay_once()
        await r.groups.relay_once()
        assert r.signals is not None
        await r.signals.relay_once()

    async def close_groups() -> None:
        await upkeep.close_ended_groups(r, now())

    async def prune_reports() -> None:
        await upkeep.prune_reports(r, now())

    async def expire_parked() -> None:
        assert r.parking is not None
        await r.parking.expire(r, now())

    async def backfill(_db) -> None:
        await r.cases.backfill()

    kit.on_startup(backfill)
    kit.every("deadline-timers", settings.timer_interval_s, fire_due_timers)
    kit.every("groups-close", settings.group_close_interval_s, close_groups)
    kit.every("recent-reports-prune", settings.report_prune_interval_s, prune_reports)
    kit.every("outbox-relay", settings.relay_interval_s, relay)
    kit.every("parked-expiry", settings.parked_check_interval_s, expire_parked)
    app = kit.app([build_router(r)], title="kefu routing")
    app.state.routing = r
    return app
