"""The agent's desk (坐席工作台): what the workspace page asks intake while a call is taken.

* ``GET /customers?phone=``: the caller's archive by the number they call from, found
  through the identity key the archive is keyed by (``phone:<canonical>``, an ``_id``
  lookup), with the handover date of each of their units from the register;
* ``POST /classify``: intake's own classifier on the text the agent is typing, so the
  page shows the kind, category and urgency flags the case would get, before it is sent;
* ``GET /calls/{event_id}``: what intake decided about a call it was sent (the case it
  opened or followed up), so the page can show the case once routing has it.

Every role here gets personal data in clear (``Principal.sees_pii``): these are the
people on the phone with the owner; the analyst and service accounts are not allowed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from kefu_contracts import ContactKind
from kefu_kit.auth import Role, require
from kefu_kit.http_errors import ERROR_RESPONSES, error_response
from pydantic import BaseModel, ConfigDict, Field

from .adapters.store import ContactLog, CustomerArchive, PropertyRegister
from .domain.classification import classify
from .domain.handover import handover_for
from .domain.phones import InvalidPhone, normalise_phone

# The people who take calls and work with owners; department staff look customers up through their cases.
CALL_TAKERS = (Role.HOTLINE_AGENT, Role.COMPLAINT_SPECIALIST, Role.AFTERSALES_SUPERVISOR, Role.CUSTOMER_RELATIONS,
               Role.CS_MANAGER, Role.CS_GENERAL_MANAGER)
HISTORY = 20


class Archive(BaseModel):
    """A customer's profile (phones, emails, properties with handover dates) and latest contacts, newest first."""

    model_config = ConfigDict(extra="allow")

    customer: dict[str, Any]
    contacts: list[dict[str, Any]]


class TextToClassify(BaseModel):
    text: str = Field(min_length=1, max_length=10000, description="what the caller says, as the agent writes it")
    kind: ContactKind | None = Field(None, description="the agent's kind, when chosen: it wins over the rules")


class Classified(BaseModel):
    """What the case would be classified as, and which rules said so."""

    kind: ContactKind
    category: str | None
    urgent_flags: list[str]
    rules: list[str]


class CallOutcome(BaseModel):
    """Intake's decision about one call: the case it opened, or the open case it followed up."""

    event_id: str
    customer_id: str
    case_id: str
    follow_up: bool
    received_at: datetime
    classification: dict[str, Any]


def build_router(archive: CustomerArchive, contacts: ContactLog, register: PropertyRegister) -> APIRouter:
    router = APIRouter(tags=["agent desk"], dependencies=[Depends(require(*CALL_TAKERS))])

    @router.get("/customers", response_model=Archive,
                responses={404: ERROR_RESPONSES[404], 422: error_response(422, "not a phone number")})
    async def customer_by_phone(
        phone: Annotated[str, Query(min_length=3, max_length=40, description="as typed: +86 138-1234-5678, 0571 ...")],
    ) -> dict[str, Any]:
        """The archive of the customer whose phone this is (any way of writing it), with their latest contacts."""
        try:
            key = f"phone:{normalise_phone(phone)}"
        except InvalidPhone as exc:
            raise HTTPException(422, "not a phone number: digits, spaces, +, - and brackets only") from exc
        customer_id = (await archive.owners([key])).get(key)
        profile = await archive.profile(customer_id) if customer_id else None
        if profile is None:
            raise HTTPException(404, "no customer with this phone number")
        for prop in profile["properties"]:
            prop["handover_date"] = handover_for(register.dates, prop)
        return {"customer": profile, "contacts": await contacts.history(profile["_id"], limit=HISTORY)}

    @router.post("/classify", response_model=Classified)
    async def classify_text(body: TextToClassify) -> dict[str, Any]:
        """The kind, category and urgency flags intake would give this text (the case gets the same on submit)."""
        result = classify(body.text, body.kind.value if body.kind else None)
        return {"kind": result.kind, "category": result.category, "urgent_flags": list(result.urgent_flags),
                "rules": list(result.rules)}

    @router.get("/calls/{event_id}", response_model=CallOutcome,
                responses={404: error_response(404, "not recorded (yet): intake takes calls from the topic")})
    async def call_outcome(event_id: Annotated[str, Path(max_length=200)]) -> dict[str, Any]:
        """The case a call opened or followed up, once intake has recorded it (poll after submitting)."""
        record = await contacts.get(event_id)
        if record is None:
            raise HTTPException(404, f"call {event_id} not recorded yet")
        return {"event_id": record["_id"], "customer_id": record["customer_id"], "case_id": record["case_id"],
                "follow_up": bool(record.get("follow_up")), "received_at": record["received_at"],
                "classification": record.get("classification") or {}}

    return router
