"""The club tier of a customer, by customer id: what the agent's workspace shows beside the caller's archive.

The workspace knows the caller's customer id (from intake), not the member number;
the member number is derived from the customer id (``member_id_for``), so this is
one ``_id`` read. Only the tier and balance: the member's contact stays on ``/members``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path
from kefu_kit.auth import Role, require
from kefu_kit.http_errors import error_response
from pydantic import BaseModel

from .context import Club
from .domain.members import member_id_for
from .standing import reading


class Standing(BaseModel):
    member_id: str
    customer_id: str
    tier: str
    tier_name: str
    vip: bool
    balance: int
    joined_at: datetime


def build_router(club: Club) -> APIRouter:
    router = APIRouter(tags=["members"])

    @router.get("/customers/{customer_id}/member", response_model=Standing,
                responses={404: error_response(404, "the customer is not a member of the club")},
                dependencies=[Depends(require(Role.HOTLINE_AGENT, Role.COMPLAINT_SPECIALIST, Role.CUSTOMER_RELATIONS,
                                              Role.CS_MANAGER, Role.CS_GENERAL_MANAGER))])
    async def member_of_customer(customer_id: Annotated[str, Path(min_length=1, max_length=64)]) -> dict[str, Any]:
        """The customer's club membership: tier (VIP or not) and points balance."""
        member = await club.members.get(member_id_for(customer_id))
        if member is None or member.customer_id != customer_id:
            raise HTTPException(404, f"customer {customer_id} is not a club member")
        points, _ = await reading(club, member.id)
        tier = club.tiers.get(member.tier)
        return {"member_id": member.id, "customer_id": customer_id, "tier": tier.id, "tier_name": tier.name,
                "vip": tier.vip, "balance": points, "joined_at": member.joined_at}

    return router
