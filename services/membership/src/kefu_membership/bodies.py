"""What membership's API answers: one model per body, so the OpenAPI document says what clients get.

The models describe the bodies as they were before they had models (outside
programs read them): records keep their stored ``_id`` and any field a later
version adds (``extra="allow"``), so a body can gain fields but never loses one. Routes answer with
``response_model_exclude_unset``: a field the record does not hold (an owner without e-mail) stays absent,
as it always was, rather than appearing as null.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .domain.members import MemberContact, Property, Source


class Open(BaseModel):
    """A body that may carry more than the fields listed (details of a ledger entry, a later field)."""

    model_config = ConfigDict(extra="allow")


class Record(Open):
    """A stored record, named by its ``_id``."""

    id: str = Field(alias="_id")


# A member's contact and units are the member record's own parts (domain/members.py): the body shows them
# as stored, so it reuses their models (fields, descriptions, unknown fields kept) under the body's names.

class ContactOut(MemberContact):
    """How to reach the owner: in clear for roles with PII, masked (``王**``, ``138****2222``) for the others."""


class PropertyOut(Property):
    pass  # (no docstring: the body's schema never had a description, and a subclass inherits none)


class MemberOut(BaseModel):
    member_id: str
    customer_id: str
    contact: ContactOut
    joined_at: datetime
    source: Source
    tier: str
    tier_name: str
    vip: bool
    balance: int = Field(description="current points balance")
    properties: list[PropertyOut]


class LedgerEntry(Record):
    """A credit (positive) or a debit (negative); the other fields say why (survey_id, code, contract_ref, ...)."""

    member_id: str
    points: int
    rule: str
    at: datetime


class PointsOut(BaseModel):
    member_id: str
    balance: int
    entries: list[LedgerEntry] = Field(description="a page of the ledger, oldest first")


class ReferralOut(Record):
    """A referred buyer's contract (``_id``) and the member credited for it."""

    member_id: str
    buyer_name: str
    at: datetime


class RedemptionOut(Record):
    code: str = Field(description="the code the owner shows the merchant")
    member_id: str
    offer_id: str
    merchant_id: str
    title: str
    points: int = Field(description="points paid")
    slot: str
    at: datetime


class MerchantOut(Record):
    name: str
    category: str | None = None
    address: str | None = None
    created_at: datetime


class OfferOut(Record):
    merchant_id: str
    title: str
    min_tier: str
    points_cost: int
    limit_per_member: int
    limit_total: int
    created_at: datetime


class MerchantWithOffers(MerchantOut):
    offers: list[OfferOut] = Field(description="a page of the merchant's offers, oldest first")


class ActivityOut(Record):
    """A community event and its roster by member number (attendees' contact details are never shown)."""

    title: str
    project: str | None = None
    starts_at: datetime
    ends_at: datetime
    capacity: int
    confirmed: list[str]
    waitlist: list[str]
    checked_in: list[str]
    closed: bool
    created_at: datetime


class SignupStatus(BaseModel):
    activity_id: str
    member_id: str
    status: Literal["confirmed", "waitlisted", "checked_in"] | None = Field(
        description="the member's place now (null: not signed up)")
