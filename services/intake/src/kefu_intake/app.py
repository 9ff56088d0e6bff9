"""Composition root of the intake service: its broker, store, subscriptions and routes."""

from __future__ import annotations
from fastapi import Depends
from kefu_kit.auth import Role, public, require

from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, FastAPI, HTTPException, Query
from kefu_contracts import (
    CALL_RECEIVED,
    CASE_FOLLOWED_UP,
    CASE_OPENED,
    CASE_STATUS_CHANGED,
    PROPERTY_HANDED_OVER,
    CallReceived,
)
from kefu_contracts import CaseStatusChanged
from kefu_kit.aggregates import ConcurrentChange
from kefu_kit import Batch, ServiceKit, publish_event, publisher_for, subscribe_batches, subscriber_options
from pydantic import BaseModel, Field

from .adapters.store import ContactLog, CustomerArchive, ProblemIndex, PropertyRegister, ensure_indexes
from .contacts import CallIntake
from .desk import build_router as desk_router
from .handover import hand_over
from .domain.handover import register_key
from .domain.identity import UnidentifiableCaller
from .settings import Settings

CLOSED = ("resolved", "closed")
CENTER_TZ = ZoneInfo("Asia/Shanghai")  # handover dates are local dates of the center


class Owner(BaseModel):
    """The owner a unit was handed over to (phone or email identifies them in the archive)."""

    name: str | None = Field(None, max_length=100)
    phone: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=254)
    customer_id: str | None = Field(None, max_length=64)


class RegisterEntry(BaseModel):
    """A handover date for a project, a building of it, or one unit (the most specific one applies).

    With an ``owner`` (units only), the owner is put in the customer archive and
    ``property.handed_over`` tells the owners' club, which welcomes the owner as a member.
    """

    project: str = Field(min_length=1, max_length=100)
    building: str | None = Field(None, max_length=50)
    unit: str | None = Field(None, max_length=50)
    handover_date: date
    owner: Owner | None = None


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    kit = ServiceKit(settings, stats=("contacts", "customers", "open_problems"))
    archive, contacts = CustomerArchive(kit.db), ContactLog(kit.db)
    problems, register = ProblemIndex(kit.db), PropertyRegister(kit.db)
    window = timedelta(days=settings.follow_up_window_days)
    kit.on_startup(ensure_indexes)

    async def load_register(_db: Any) -> None:
        await register.load()

    kit.on_startup(load_register)
    kit.every("property-register-reload", 60.0, register.load)  # another instance may have recorded dates
    handover = publisher_for(kit.broker, settings, PROPERTY_HANDED_OVER)
    group = subscriber_options(settings)
    intake = CallIntake(archive, contacts, problems, register, window)

    @subscribe_batches(kit, CALL_RECEIVED, publishes=(CASE_OPENED, CASE_FOLLOWED_UP),
                       max_records=settings.batch_max_records, batch_timeout_ms=settings.batch_timeout_ms)
    async def on_call_received(batch: Batch[CallReceived]) -> None:
        """Contacts from any channel, a batch at a time: record them, open their cases or follow up open ones."""
        await intake.handle(batch)

    @kit.broker.subscriber(settings.topics(CASE_STATUS_CHANGED), **group)
    async def on_case_status_changed(event: CaseStatusChanged) -> None:
        """Routing moved a case: a resolved or closed problem takes a new case next time; a reopened one not."""
        opening = await contacts.get(event.correlation_id)
        if opening and opening.get("problem_key") and opening["case_id"] == event.case_id:
            await problems.set_open(opening["problem_key"], event.case_id, event.status.value not in CLOSED,
                                    event.occurred_at)

    async def prune_problems() -> None:
        await problems.prune(datetime.now(timezone.utc), window, timedelta(seconds=settings.problem_closed_grace_s))

    kit.every("open-problems-prune", settings.problem_prune_every_s, prune_problems)

    async def prune_key_claims() -> None:
        await archive.claims.prune(datetime.now(timezone.utc))

    kit.every("identity-key-claims-prune", 60.0, prune_key_claims)  # claims outlive their lease only until then

    customers = APIRouter(prefix="/customers", tags=["customer archive"])

    @customers.get("/{customer_id}", dependencies=[Depends(require(Role.HOTLINE_AGENT, Role.COMPLAINT_SPECIALIST, Role.DEPARTMENT_STAFF, Role.AFTERSALES_SUPERVISOR, Role.CUSTOMER_RELATIONS, Role.CS_MANAGER, Role.CS_GENERAL_MANAGER))])
    async def customer_profile(
        customer_id: str, limit: int = Query(50, ge=1, le=500), skip: int = Query(0, ge=0)
    ) -> dict[str, Any]:
        """A customer's profile (phones, emails, properties) and contact history, newest first."""
        profile = await archive.profile(customer_id)
        if profile is None:
            raise HTTPException(404, f"no customer {customer_id}")
        history = await contacts.history(customer_id, limit=limit, skip=skip)
        return {"customer": profile, "contacts": history}

    properties = APIRouter(prefix="/property-register", tags=["property register"])

    @properties.put("", dependencies=[Depends(require(Role.OPS, Role.CUSTOMER_RELATIONS, Role.CS_MANAGER))])
    async def put_register(entries: list[RegisterEntry]) -> dict[str, int]:
        """Record handover dates (交付); routing decides warranty from them, the club welcomes owners."""
        for e in entries:
            if e.owner and not e.unit:
                raise HTTPException(422, f"{e.project} {e.building or ''}: an owner is handed over a unit")
            if e.owner and not (e.owner.phone or e.owner.email or e.owner.customer_id):
                raise HTTPException(422, "an owner needs a phone, email or customer_id")
        handed_over = 0
        for e in entries:
            at = datetime.combine(e.handover_date, time(0), tzinfo=CENTER_TZ)
            await register.put(register_key(e.project, e.building, e.unit),
                               {"project": e.project, "building": e.building, "unit": e.unit, "handover_date": at})
            if e.owner:
                try:
                    event = await hand_over(e, archive, at)
                except UnidentifiableCaller as exc:
                    raise HTTPException(422, f"{e.project} {e.building or ''} {e.unit}: {exc}") from exc
                except ConcurrentChange as exc:  # a claim on the owner's keys held for seconds: a writer died
                    raise HTTPException(503, f"{e.project} {e.building or ''} {e.unit}: the owner's identity is "
                                             "being linked by another writer, retry shortly",
                                        headers={"Retry-After": "30"}) from exc
                await publish_event(handover, event)
                handed_over += 1
        return {"recorded": len(entries), "handed_over": handed_over}

    @properties.get("", dependencies=[Depends(require(Role.OPS, Role.CUSTOMER_RELATIONS, Role.CS_MANAGER, Role.CS_GENERAL_MANAGER))])
    async def get_register() -> list[dict[str, Any]]:
        return await register.entries.find().to_list()

    return kit.app([customers, properties, desk_router(archive, contacts, register)], title="kefu intake")
