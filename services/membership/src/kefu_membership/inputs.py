"""What membership's API accepts: every bound is in the models, so the OpenAPI document says it.

Bounds come from what the data meets further on, not from taste:

* ids (customer, contract, member, offer) are at most 64 characters, as elsewhere in kefu
  (``kefu_contracts.Caller.customer_id``), without blanks at either end: the use cases derive event ids
  from them (``application-<customer>``, ``referral|<contract>``) and an event id holds at most 128;
* contact fields, when given, are not empty (an empty phone is no way to reach an owner);
* amounts fit the store's 64-bit integers, limits stay small enough to claim slot by slot;
* an event starts between 2000 and 2100 (its end must still be a date the store and Python can hold);
* an offer's tier is one of the club's tiers (the tier table may be configured: ``offer_model``).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field, create_model, field_validator

from .domain.tiers import TierTable

ID_PATTERN = r"^\S(.*\S)?$"  # no blank at either end, not blank
MAX_ID = 64
MAX_POINTS = 100_000_000
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2100, 1, 1, tzinfo=timezone.utc)


def Id(description: str) -> Any:  # noqa: N802  (reads as a type in the models)
    return Field(min_length=1, max_length=MAX_ID, pattern=ID_PATTERN, description=description)


class PropertyIn(BaseModel):
    project: str = Field(min_length=1, max_length=200)
    building: str | None = Field(None, max_length=100)
    unit: str | None = Field(None, max_length=100)


class Application(BaseModel):
    customer_id: str = Id("the customer archive's id of the owner")
    name: str | None = Field(None, min_length=1, max_length=200)
    phone: str | None = Field(None, min_length=3, max_length=40)
    email: str | None = Field(None, min_length=3, max_length=320)
    properties: list[PropertyIn] = Field(default_factory=list, max_length=100)


class Referral(BaseModel):
    buyer_name: str = Field(min_length=1, max_length=200)
    contract_ref: str = Id("the referred buyer's contract: one credit per contract")


class RedemptionRequest(BaseModel):
    offer_id: str = Id("the offer to redeem")


class MerchantIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    category: str | None = Field(None, max_length=100)
    address: str | None = Field(None, max_length=500)


class OfferBase(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    min_tier: str = Field(description="the lowest tier that may redeem")
    points_cost: int = Field(ge=0, le=MAX_POINTS)
    limit_per_member: int = Field(ge=1, le=1_000)
    limit_total: int = Field(ge=1, le=100_000)


def offer_model(tiers: TierTable) -> type[OfferBase]:
    """``OfferIn`` for this club: ``min_tier`` is one of its tiers (an enum in the document), lowest first."""
    ids = tuple(t.id for t in tiers.tiers)
    return create_model(  # type: ignore[call-overload,no-any-return]
        "OfferIn", __base__=OfferBase,
        min_tier=(Literal[ids], Field(description="the lowest tier that may redeem: " + ", ".join(ids))))


class ActivityIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    project: str | None = Field(None, max_length=200)
    starts_at: AwareDatetime = Field(description="with its UTC offset; from 2000 up to 2100")
    capacity: int = Field(ge=1, le=100_000)
    duration_minutes: int | None = Field(None, ge=1, le=60 * 24 * 14)

    @field_validator("starts_at")
    @classmethod
    def _in_range(cls, value: datetime) -> datetime:
        if not EARLIEST <= value < LATEST:
            raise ValueError("an event starts from 2000 up to 2100")
        return value


class SignUp(BaseModel):
    member_id: str = Id("the member number (M and 12 hex digits)")
