"""Membership events: ``member.tier_changed`` (the owners' club, 客户会)."""

from __future__ import annotations

from pydantic import Field

from .envelope import DerivedEvent


class MemberTierChanged(DerivedEvent):
    """An owner's club tier changed; routing learns VIP status from this. Key: ``customer_id``."""

    def kafka_key(self) -> str:
        return self.customer_id

    customer_id: str
    member_id: str
    tier: str
    previous_tier: str | None = None
    vip: bool = Field(description="whether the new tier counts as a VIP owner (VIP业户) for complaint handling")
