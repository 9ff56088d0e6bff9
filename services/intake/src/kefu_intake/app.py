"""Composition root of the intake service: its broker, store, subscriptions and routes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Query
from kefu_contracts import CALL_RECEIVED, CASE_OPENED, CallReceived
from kefu_kit import ServiceKit, publish_event, publisher_for, subscriber_options

from .adapters.store import ContactLog, CustomerArchive, ensure_indexes
from .contacts import receive_call
from .settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    kit = ServiceKit(settings, stats=("contacts", "customers"))
    kit.on_startup(ensure_indexes)
    archive, contacts = CustomerArchive(kit.db), ContactLog(kit.db)
    case_opened = publisher_for(kit.broker, settings, CASE_OPENED)

    @kit.broker.subscriber(settings.topics(CALL_RECEIVED), **subscriber_options(settings))
    async def on_call_received(call: CallReceived) -> None:
        """A contact from any channel: record it and open its case."""
        event = await receive_call(call, archive, contacts)
        await publish_event(case_opened, event)

    router = APIRouter(prefix="/customers", tags=["customer archive"])

    @router.get("/{customer_id}")
    async def customer_profile(
        customer_id: str, limit: int = Query(50, ge=1, le=500), skip: int = Query(0, ge=0)
    ) -> dict[str, Any]:
        """A customer's profile and contact history (newest first)."""
        profile = await archive.profile(customer_id)
        if profile is None:
            raise HTTPException(404, f"no customer {customer_id}")
        history = await contacts.history(customer_id, limit=limit, skip=skip)
        return {"customer": profile, "contacts": history}

    return kit.app([router], title="kefu intake")
