"""The bodies intake's HTTP API takes and answers, as documented models.

Answers only ever gain fields (outside programs read them): the response models
allow fields they do not name, so a field the store gains reaches the client as
before, and the ones named are the ones a client may rely on.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from kefu_contracts import CallReceived
from kefu_contracts.envelope import EventId
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field



# Dates a handover can have: the year 1 (a typo, or a fuzzer) cannot even be stored as a UTC instant.
FIRST_HANDOVER, LAST_HANDOVER = date(1980, 1, 1), date(2100, 12, 31)


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
    handover_date: date = Field(ge=FIRST_HANDOVER, le=LAST_HANDOVER,
                                description="the local date of the center (Asia/Shanghai) the unit was handed over, "
                                            f"from {FIRST_HANDOVER} to {LAST_HANDOVER}")
    owner: Owner | None = None


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class RegisterRecorded(_Open):
    recorded: int = Field(description="entries recorded (new or replaced)")
    handed_over: int = Field(description="units handed over to an owner (each announced as property.handed_over)")


class RegisterRow(_Open):
    id: str = Field(alias="_id", description="project|building|unit")
    project: str
    building: str | None = None
    unit: str | None = None
    handover_date: datetime


class PropertyLink(_Open):
    project: str
    building: str | None = None
    unit: str | None = None
    since: datetime | None = None


class CustomerOut(_Open):
    id: str = Field(alias="_id")
    name: str | None = None
    created_at: datetime
    phones: list[str] = Field(description="E.164, masked for roles that do not see personal data")
    emails: list[str]
    properties: list[PropertyLink]


class ClassificationOut(_Open):
    kind: str
    by: str
    category: str | None = None
    urgent_flags: list[str] = []
    rules: list[str] = []


class ContactOut(_Open):
    id: str = Field(alias="_id", description="the call.received event_id")
    customer_id: str
    caller_name: str | None = None
    channel: str
    received_at: datetime
    recorded_at: datetime
    property: dict[str, Any] | None = None
    subject: str | None = None
    body: str
    external_ref: str | None = None
    agent_id: str | None = None
    classification: ClassificationOut
    case_id: str
    follow_up: bool = False
    problem_key: str | None = None
    handover_date: datetime | None = None
    correlation_id: str


class CustomerProfile(_Open):
    customer: CustomerOut
    contacts: list[ContactOut] = Field(description="newest first; department staff see their cases' contacts only")


class CallSubmission(CallReceived):
    """A ``call.received`` as an adapter or an agent posts it: the contract, with the envelope optional.

    Without ``event_id`` intake assigns one (then only ``external_ref`` makes a retry safe);
    without ``occurred_at`` the call happened when intake accepted it.
    """

    event_id: EventId | None = Field(  # type: ignore[assignment]
        None, description="the call's id; a retry with the same id is accepted once")
    occurred_at: AwareDatetime | None = Field(  # type: ignore[assignment]
        None, description="when the contact happened (ISO 8601 with offset); default: when intake accepts it")


class CallAccepted(BaseModel):
    event_id: str = Field(description="the call's event_id on call.received (assigned when the body had none)")
