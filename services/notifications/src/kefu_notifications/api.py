"""Notifications' HTTP API: delivery status of messages, and owners' channel preferences (OpenAPI at /docs)."""

from __future__ import annotations
from fastapi import Depends
from kefu_kit.auth import Role, public, require

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response
from kefu_kit import mask_text
from kefu_kit.pages import DEFAULT_LIMIT, MAX_LIMIT, NEXT_CURSOR, PAGE_RESPONSES, BadCursor
from pydantic import BaseModel, Field

from .adapters.store import NotificationStore
from .domain.status import Status, derive_status

class PreferenceBody(BaseModel):
    channel: Literal["sms", "wechat", "email"] | None = Field(
        None, description="the owner's channel; none: the event's preferred channel, else sms, else email")
    locale: Literal["zh", "en"] = Field("zh", description="zh (Chinese) or en (English)")


def message_view(message: dict[str, Any], outcomes: list[dict[str, Any]], next_due: Any = None) -> dict[str, Any]:
    """A message as the API shows it: content, masked address, derived status and every attempt."""
    status = derive_status(message, outcomes)
    last_error = next((o["error"] for o in reversed(outcomes) if o["error"]), None)
    return {
        "id": message["_id"], "status": status,
        "recipient": message["recipient"], "channel": message["channel"], "address": mask_text(message["address"]),
        "template": message["template"], "locale": message.get("locale"),
        "subject": message.get("subject"), "text": message.get("text"),
        "case_id": message.get("case_id"), "cause_event_id": message["cause_event_id"],
        "cause_topic": message["cause_topic"], "correlation_id": message["correlation_id"],
        "urgent": message["urgent"], "created_at": message["created_at"], "send_at": message["send_at"],
        "next_attempt_at": next_due if status == "scheduled" else None,
        "error": message.get("unsendable") or (last_error if status == "failed" else None),
        "attempts": [{"attempt": o["attempt"], "started_at": o["started_at"], "finished_at": o["finished_at"],
                      "ok": o["ok"], "error": o["error"], "provider_message_id": o["provider_message_id"]}
                     for o in outcomes],
    }


def build_router(store: NotificationStore) -> APIRouter:
    router = APIRouter()

    @router.get("/notifications", tags=["notifications"], responses=PAGE_RESPONSES, dependencies=[Depends(require(Role.HOTLINE_AGENT, Role.COMPLAINT_SPECIALIST, Role.CUSTOMER_RELATIONS, Role.CS_MANAGER, Role.CS_GENERAL_MANAGER, Role.OPS))])
    async def list_messages(
        response: Response,
        recipient: str | None = Query(None, description="e.g. department:engineering, role:cs_manager, customer:C1"),
        status: Status | None = Query(None),
        case_id: str | None = Query(None),
        channel: str | None = Query(None, description="inbox (a staff inbox), sms, wechat, email, webhook"),
        limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
        cursor: str | None = Query(None, description=f"the {NEXT_CURSOR} header of the previous page"),
    ) -> list[dict[str, Any]]:
        """Messages, newest first, with their delivery status; filtered and paged in the store."""
        try:
            messages, next_cursor = await store.find_messages(
                {"recipient": recipient, "case_id": case_id, "channel": channel, "status": status}, cursor, limit)
        except BadCursor as exc:
            raise HTTPException(422, str(exc)) from exc
        if next_cursor:
            response.headers[NEXT_CURSOR] = next_cursor
        ids = [m["_id"] for m in messages]
        outcomes, pending = await store.outcomes_for(ids), await store.pending_for(ids)
        views = [message_view(m, outcomes[m["_id"]], pending.get(m["_id"])) for m in messages]
        # the stored status lags the outcomes by one write: a message settling right now is left out, not mislabelled
        return [v for v in views if status is None or v["status"] == status]

    @router.get("/notifications/{message_id}", tags=["notifications"], dependencies=[Depends(require(Role.HOTLINE_AGENT, Role.COMPLAINT_SPECIALIST, Role.CUSTOMER_RELATIONS, Role.CS_MANAGER, Role.CS_GENERAL_MANAGER, Role.OPS))])
    async def get_message(message_id: str) -> dict[str, Any]:
        """One message: status (scheduled, sent, failed) and every attempt with its time and error."""
        message = await store.message(message_id)
        if message is None:
            raise HTTPException(404, f"no message {message_id}")
        outcomes = await store.outcomes_for([message_id])
        pending = await store.pending_for([message_id])
        return message_view(message, outcomes[message_id], pending.get(message_id))

    @router.get("/preferences/{customer_id}", tags=["preferences"], dependencies=[Depends(require(Role.HOTLINE_AGENT, Role.CUSTOMER_RELATIONS, Role.CS_MANAGER))])
    async def get_preference(customer_id: str) -> dict[str, Any]:
        preference = await store.preference(customer_id)
        if preference is None:
            raise HTTPException(404, f"no preference for {customer_id}")
        return {"customer_id": customer_id, "channel": preference.get("channel"), "locale": preference["locale"]}

    @router.put("/preferences/{customer_id}", tags=["preferences"], dependencies=[Depends(require(Role.HOTLINE_AGENT, Role.CUSTOMER_RELATIONS, Role.CS_MANAGER))])
    async def put_preference(customer_id: str, body: PreferenceBody) -> dict[str, Any]:
        """Set how an owner wants to be told (applies to messages decided from now on)."""
        await store.set_preference(customer_id, body.model_dump())
        return {"customer_id": customer_id, **body.model_dump()}

    return router
