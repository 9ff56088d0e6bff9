"""Membership events: ``member.tier_changed`` (the owners' club, 客户会)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from .envelope import DerivedEvent


class Contact(BaseModel):
    """How to reach an owner (what is known)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str | None = None
    phone: str | None = None
    email: str | None = None
    wechat_openid: str | None = None


class MemberTierChanged(DerivedEvent):
    """An owner's club tier changed; routing learns VIP status from this. Key: ``customer_id``."""

    def kafka_key(self) -> str:
        return self.customer_id

    customer_id: str
    member_id: str
    tier: str
    previous_tier: str | None = None
    vip: bool = Field(description="whether the new tier counts as a VIP owner (VIP业户) for complaint handling")


class MemberJoined(DerivedEvent):
    """An owner joined the owners' club (客户会). Key: ``customer_id``."""

    def kafka_key(self) -> str:
        return self.customer_id

    customer_id: str
    member_id: str
    tier: str
    source: Literal["application", "handover"]
    joined_at: AwareDatetime
    contact: Contact = Field(default_factory=Contact)
    club_url: str | None = Field(None, description="the owner's signed, expiring link to their club page "
                                                   "(/o/<token>); absent when the club gives no links")


class PropertyHandedOver(DerivedEvent):
    """A unit was handed over (交付) to its owner; the owner joins the club. Key: ``customer_id``."""

    def kafka_key(self) -> str:
        return self.customer_id

    customer_id: str
    project: str
    building: str | None = None
    unit: str | None = None
    handover_date: date
    contact: Contact = Field(default_factory=Contact)


class CommunityEventSignupChanged(DerivedEvent):
    """A member's place at a community event (社区文化活动) changed. Key: ``customer_id``."""

    def kafka_key(self) -> str:
        return self.customer_id

    activity_id: str = Field(description="the community event (not the envelope's event_id)")
    title: str
    starts_at: AwareDatetime
    customer_id: str
    member_id: str
    status: Literal["confirmed", "waitlisted", "promoted", "cancelled", "checked_in"]
    contact: Contact = Field(default_factory=Contact)


class CommunityEventAttended(DerivedEvent):
    """A member attended a community event that has ended: time for event feedback. Key: ``customer_id``."""

    def kafka_key(self) -> str:
        return self.customer_id

    activity_id: str
    title: str
    customer_id: str
    member_id: str
    project: str | None = None
    attended_at: AwareDatetime
    contact: Contact = Field(default_factory=Contact)
