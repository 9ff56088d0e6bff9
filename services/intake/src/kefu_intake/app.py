"""Composition root of the intake service: its broker, store, subscriptions and routes."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Body, FastAPI, HTTPException, Path, Query
from kefu_contracts import (
    CALL_RECEIVED,
    CASE_FOLLOWED_UP,
    CASE_OPENED,
    CASE_STATUS_CHANGED,
    PROPERTY_HANDED_OVER,
    CallReceived,
    CaseStatusChanged,
)
from kefu_kit import Batch, ServiceKit, publish_event, publisher_for, subscribe_batches
from kefu_kit.aggregates import ConcurrentChange
from kefu_kit.auth import Allowed, Role
from kefu_kit.http_errors import ERROR_RESPONSES, error_response

from .access import profile_view
from .accepting import CallAcceptance, CallConflict
from .adapters.accepted import AcceptedCalls
from .adapters.departments import CaseDepartments
from .adapters.store import ContactLog, CustomerArchive, ProblemIndex, PropertyRegister, ensure_indexes
from .api_models import (
    CallAccepted,
    CallSubmission,
    CustomerProfile,
    RegisterEntry,
    RegisterRecorded,
    RegisterRow,
)
from .contacts import CallIntake
from .desk import build_router as desk_router
from .domain.handover import register_key
from .domain.identity import UnidentifiableCaller, identify
from .handover import hand_over
from .moves import CaseMoves
from .settings import Settings

CENTER_TZ = ZoneInfo("Asia/Shanghai")  # handover dates are local dates of the center

# Who may do what (domain.md, Roles). The profile is read by everyone who talks to owners or handles their
# cases; department staff only for customers with a case in their department; the analyst masked.
PROFILE_READERS = (Role.HOTLINE_AGENT, Role.COMPLAINT_SPECIALIST, Role.DEPARTMENT_STAFF, Role.AFTERSALES_SUPERVISOR,
                   Role.CUSTOMER_RELATIONS, Role.DATA_ANALYST, Role.CS_MANAGER, Role.CS_GENERAL_MANAGER)
# Handover dates hold no personal data: the center reads them (warranty questions), operations feed them.
REGISTER_READERS = (Role.OPS, Role.HOTLINE_AGENT, Role.COMPLAINT_SPECIALIST, Role.AFTERSALES_SUPERVISOR,
                    Role.CUSTOMER_RELATIONS, Role.DATA_ANALYST, Role.CS_MANAGER, Role.CS_GENERAL_MANAGER)
# Recording a handover puts an owner in the archive and the club: the register feed, relations, the manager.
REGISTER_WRITERS = (Role.OPS, Role.CUSTOMER_RELATIONS, Role.CS_MANAGER)
# Contacts come from the agents who take calls and from the channel adapters.
CALL_RECORDERS = (Role.HOTLINE_AGENT, Role.CHANNEL_ADAPTER)

UNAVAILABLE = error_response(503, "the store or the broker is unavailable (or a claim is held): nothing was "
                                  "accepted, retry after Retry-After")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    kit = ServiceKit(settings, stats=("contacts", "customers", "open_problems"))
    archive, contacts = CustomerArchive(kit.db), ContactLog(kit.db)
    problems, register = ProblemIndex(kit.db), PropertyRegister(kit.db)
    departments = CaseDepartments(kit.db)
    window = timedelta(days=settings.follow_up_window_days)
    kit.on_startup(ensure_indexes)

    async def load_register(_db: Any) -> None:
        await register.load()

    kit.on_startup(load_register)
    kit.every("property-register-reload", 60.0, register.load)  # another instance may have recorded dates
    handover = publisher_for(kit.broker, settings, PROPERTY_HANDED_OVER)
    intake = CallIntake(archive, contacts, problems, register, window)
    moves = CaseMoves(departments, contacts, problems)

    @subscribe_batches(kit, CALL_RECEIVED, publishes=(CASE_OPENED, CASE_FOLLOWED_UP),
                       max_records=settings.batch_max_records, batch_timeout_ms=settings.batch_timeout_ms)
    async def on_call_received(batch: Batch[CallReceived]) -> None:
        """Contacts from any channel, a batch at a time: record them, open their cases or follow up open ones."""
        await intake.handle(batch)

    @subscribe_batches(kit, CASE_STATUS_CHANGED, max_records=settings.batch_max_records,
                       batch_timeout_ms=settings.batch_timeout_ms)
    async def on_case_status_changed(batch: Batch[CaseStatusChanged]) -> None:
        """Routing moved cases, a batch at a time: each case's department is noted (who may see the customer);
        a resolved or closed problem takes a new case next time, a reopened one not."""
        await moves.handle(batch)

    async def prune_problems() -> None:
        await problems.prune(datetime.now(timezone.utc), window, timedelta(seconds=settings.problem_closed_grace_s))

    kit.every("open-problems-prune", settings.problem_prune_every_s, prune_problems)

    async def prune_key_claims() -> None:
        await archive.claims.prune(datetime.now(timezone.utc))

    kit.every("identity-key-claims-prune", 60.0, prune_key_claims)  # claims outlive their lease only until then

    accepted = AcceptedCalls(kit.db)
    publish_call = kit.publisher(CALL_RECEIVED)

    async def publish_acked(event: CallReceived) -> None:
        """The broker's ack, or a TimeoutError (503) after a bound: a client is not kept waiting 40 s."""
        await asyncio.wait_for(publish_call(event), settings.call_publish_timeout_s)

    acceptance = CallAcceptance(accepted, publish_acked, publish_wait_s=settings.call_publish_timeout_s + 1.0)

    async def prune_accepted() -> None:
        await accepted.prune(datetime.now(timezone.utc) - timedelta(seconds=settings.accepted_call_retention_s))

    kit.every("accepted-calls-prune", settings.accepted_call_prune_every_s, prune_accepted)

    customers = APIRouter(prefix="/customers", tags=["customer archive"])

    @customers.get("/{customer_id}", response_model=CustomerProfile, responses={404: ERROR_RESPONSES[404]})
    async def customer_profile(
        who: Allowed(*PROFILE_READERS),
        customer_id: str = Path(min_length=1, max_length=128),
        limit: int = Query(50, ge=1, le=500), skip: int = Query(0, ge=0, le=100_000),
    ) -> dict[str, Any]:
        """A customer's profile (phones, emails, properties) and contact history, newest first.

        Department staff see a customer who has a case in their department, and the contacts of those
        cases only (404 otherwise, as for a customer who does not exist); the data analyst sees names,
        phones, e-mails and free text masked."""
        cases = None if who.sees_all else await departments.cases_of(customer_id, who.department or "")
        if cases == []:
            raise HTTPException(404, f"no customer {customer_id} with a case in your department")
        profile = await archive.profile(customer_id)
        if profile is None:
            raise HTTPException(404, f"no customer {customer_id}")
        if cases is None:
            history = await contacts.history(customer_id, limit=limit, skip=skip)
        else:
            history = await contacts.history_of_cases(cases, limit=limit, skip=skip)
        return profile_view(profile, history, sees_pii=who.sees_pii)

    properties = APIRouter(prefix="/property-register", tags=["property register"])

    @properties.put("", response_model=RegisterRecorded,
                    responses={422: error_response(422, "invalid entries, or an owner who cannot be identified"),
                               503: UNAVAILABLE})
    async def put_register(_who: Allowed(*REGISTER_WRITERS),
                           entries: list[RegisterEntry] = Body(max_length=1000)) -> dict[str, int]:
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

    @properties.get("", response_model=list[RegisterRow])
    async def get_register(_who: Allowed(*REGISTER_READERS)) -> list[dict[str, Any]]:
        """Every handover date recorded (a register is small: one entry per project, building or unit)."""
        return await register.entries.find().to_list()

    calls = APIRouter(prefix="/calls", tags=["calls"])

    @calls.post("", status_code=202, response_model=CallAccepted,
                responses={409: error_response(409, "this event_id (or this channel's external_ref) was accepted "
                                                    "before with a different body"),
                           422: error_response(422, "not a valid call.received: each field in `errors`"),
                           503: UNAVAILABLE})
    async def post_call(who: Allowed(*CALL_RECORDERS), call: CallSubmission) -> CallAccepted:
        """Record a contact for adapters that cannot speak Kafka and for agents: the body is the
        ``call.received`` contract (``event_id`` and ``occurred_at`` optional), published to ``call.received``
        with its contract key exactly as an adapter publishes it. 202 only once the broker acked it; intake
        then records it like any call. A retry with the same ``event_id``, or the same ``external_ref`` from
        the same channel, answers the same ``event_id`` and publishes nothing more; the same key with another
        body is 409. An agent's call without ``agent_id`` names the agent as its recorder."""
        try:  # what the consumer would dead-letter is refused here, where the sender can still fix it
            identify(call.caller)
        except UnidentifiableCaller as exc:
            raise HTTPException(422, [{"loc": ["body", "caller"], "msg": str(exc), "type": "value_error"}]) from exc
        try:
            event_id = await acceptance.accept(call, who)
        except CallConflict as exc:
            raise HTTPException(409, str(exc)) from exc
        return CallAccepted(event_id=event_id)

    return kit.app([customers, properties, calls, desk_router(archive, contacts, register)], title="kefu intake")
