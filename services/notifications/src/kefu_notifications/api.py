"""Notifications' HTTP API: delivery status of messages, and owners' channel preferences (OpenAPI at /docs).

Who may do what (domain.md): messages are read by the people who answer for them (hotline agents when an
owner asks "did you tell me?", complaint specialists, customer relations, the managers) and by operations,
who watch failed deliveries. A message's text can hold an owner's complaint in their own words, so texts,
subjects, errors and customer recipients go in clear only to roles with ``Principal.sees_pii``; operations
get them masked (``kefu_kit.masking``). Addresses are masked for everyone, as they always were: nobody reads
a phone number off a delivery log. An owner's preferences are read and changed by a hotline agent on the
owner's request, or by customer relations.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response
from kefu_kit import mask_text
from kefu_kit.auth import Principal, Role, require
from kefu_kit.http_errors import ERROR_RESPONSES
from kefu_kit.masking import mask_value
from kefu_kit.pages import DEFAULT_LIMIT, MAX_LIMIT, NEXT_CURSOR, PAGE_RESPONSES, BadCursor
from pydantic import BaseModel, Field

from .adapters.store import NotificationStore
from .domain.status import Status, derive_status

READERS = (Role.HOTLINE_AGENT, Role.COMPLAINT_SPECIALIST, Role.CUSTOMER_RELATIONS, Role.CS_MANAGER,
           Role.CS_GENERAL_MANAGER, Role.OPS)
PREFERENCE_KEEPERS = (Role.HOTLINE_AGENT, Role.CUSTOMER_RELATIONS)
ID_MAX = 200  # ids are uuids or derived keys, far shorter; a longer one names nothing


class PreferenceBody(BaseModel):
    channel: Literal["sms", "wechat", "email"] | None = Field(
        None, description="the owner's channel; none: the event's preferred channel, else sms, else email")
    locale: Literal["zh", "en"] = Field("zh", description="zh (Chinese) or en (English)")


class PreferenceView(PreferenceBody):
    customer_id: str


class AttemptView(BaseModel):
    attempt: int
    started_at: datetime | None = None
    finished_at: datetime | None = None
    ok: bool
    error: str | None = None
    provider_message_id: str | None = None


class MessageView(BaseModel):
    """A message as the API shows it (fields may be added, never removed or renamed)."""

    id: str
    status: Status
    recipient: str = Field(description="department:..., role:..., customer:<id> (masked without PII rights)")
    channel: str
    address: str | None = Field(None, description="where it goes, always masked")
    template: str
    locale: str | None = None
    subject: str | None = Field(None, description="in clear for roles that see personal data, else masked")
    text: str | None = Field(None, description="in clear for roles that see personal data, else masked")
    case_id: str | None = None
    cause_event_id: str
    cause_topic: str
    correlation_id: str
    urgent: bool
    created_at: datetime
    send_at: datetime | None = None
    next_attempt_at: datetime | None = None
    error: str | None = None
    attempts: list[AttemptView]


def _masked(value: str | None) -> str | None:
    return None if value is None else mask_text(value)


def _masked_recipient(recipient: str) -> str:
    """A customer recipient names the owner: without PII rights only enough of the id to tell two apart
    (masked whole, as a sensitive value); departments and roles are not personal."""
    kind, _, ref = recipient.partition(":")
    if kind != "customer" or not ref:
        return recipient
    return f"{kind}:{mask_value('id_number', ref)}"


def message_view(message: dict[str, Any], outcomes: list[dict[str, Any]], next_due: Any = None,
                 who: Principal | None = None) -> dict[str, Any]:
    """A message as the API shows it: content, masked address, derived status and every attempt.

    ``who`` without ``sees_pii`` (operations, or no caller at all) gets texts, errors and customer ids masked.
    """
    status = derive_status(message, outcomes)
    last_error = next((o["error"] for o in reversed(outcomes) if o["error"]), None)
    clear = who is not None and who.sees_pii
    show = (lambda v: v) if clear else _masked
    return {
        "id": message["_id"], "status": status,
        "recipient": message["recipient"] if clear else _masked_recipient(message["recipient"]),
        "channel": message["channel"], "address": mask_text(message["address"]),
        "template": message["template"], "locale": message.get("locale"),
        "subject": show(message.get("subject")), "text": show(message.get("text")),
        "case_id": message.get("case_id"), "cause_event_id": message["cause_event_id"],
        "cause_topic": message["cause_topic"], "correlation_id": message["correlation_id"],
        "urgent": message["urgent"], "created_at": message["created_at"], "send_at": message["send_at"],
        "next_attempt_at": next_due if status == "scheduled" else None,
        "error": show(message.get("unsendable") or (last_error if status == "failed" else None)),
        "attempts": [{"attempt": o["attempt"], "started_at": o["started_at"], "finished_at": o["finished_at"],
                      "ok": o["ok"], "error": show(o["error"]), "provider_message_id": o["provider_message_id"]}
                     for o in outcomes],
    }


Reader = Annotated[Principal, Depends(require(*READERS))]
PreferenceKeeper = Depends(require(*PREFERENCE_KEEPERS))
MessageId = Annotated[str, Path(min_length=1, max_length=ID_MAX)]
CustomerId = Annotated[str, Path(min_length=1, max_length=ID_MAX)]


def build_router(store: NotificationStore) -> APIRouter:
    router = APIRouter()

    @router.get("/notifications", tags=["notifications"], response_model=list[MessageView],
                responses={**PAGE_RESPONSES, 422: ERROR_RESPONSES[422]})
    async def list_messages(
        response: Response,
        who: Reader,
        recipient: str | None = Query(None, max_length=ID_MAX,
                                      description="e.g. department:engineering, role:cs_manager, customer:C1"),
        status: Status | None = Query(None),
        case_id: str | None = Query(None, max_length=ID_MAX),
        channel: str | None = Query(None, max_length=32,
                                    description="inbox (a staff inbox), sms, wechat, email, webhook"),
        limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
        cursor: str | None = Query(None, max_length=2000,
                                   description=f"the {NEXT_CURSOR} header of the previous page"),
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
        views = [message_view(m, outcomes[m["_id"]], pending.get(m["_id"]), who) for m in messages]
        # the stored status lags the outcomes by one write: a message settling right now is left out, not mislabelled
        return [v for v in views if status is None or v["status"] == status]

    @router.get("/notifications/{message_id}", tags=["notifications"], response_model=MessageView,
                responses={404: ERROR_RESPONSES[404], 422: ERROR_RESPONSES[422]})
    async def get_message(message_id: MessageId, who: Reader) -> dict[str, Any]:
        """One message: status (scheduled, sent, failed) and every attempt with its time and error."""
        message = await store.message(message_id)
        if message is None:
            raise HTTPException(404, f"no message {message_id}")
        outcomes = await store.outcomes_for([message_id])
        pending = await store.pending_for([message_id])
        return message_view(message, outcomes[message_id], pending.get(message_id), who)

    @router.get("/preferences/{customer_id}", tags=["preferences"], response_model=PreferenceView,
                dependencies=[PreferenceKeeper], responses={404: ERROR_RESPONSES[404], 422: ERROR_RESPONSES[422]})
    async def get_preference(customer_id: CustomerId) -> dict[str, Any]:
        """How an owner wants to be told (404 until someone set it: then the event's channel is used)."""
        preference = await store.preference(customer_id)
        if preference is None:
            raise HTTPException(404, f"no preference for {customer_id}")
        return {"customer_id": customer_id, "channel": preference.get("channel"), "locale": preference["locale"]}

    @router.put("/preferences/{customer_id}", tags=["preferences"], response_model=PreferenceView,
                dependencies=[PreferenceKeeper], responses={422: ERROR_RESPONSES[422]})
    async def put_preference(customer_id: CustomerId, body: PreferenceBody) -> dict[str, Any]:
        """Set how an owner wants to be told (applies to messages decided from now on)."""
        await store.set_preference(customer_id, body.model_dump())
        return {"customer_id": customer_id, **body.model_dump()}

    return router
