"""Membership's HTTP API: members, points, referrals, benefits and community events (OpenAPI at /docs).

Routes stay thin: they validate the request, call a use case and turn its
errors into clear 4xx answers (unknown → 404, a limit or a contradiction → 409,
a tier too low for an offer → 403; too many concurrent writers → 503, retry).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response
from kefu_contracts import Contact
from kefu_kit.aggregates import ConcurrentChange, NotFound
from kefu_kit.auth import Allowed, Principal, Role, require
from kefu_kit.http_errors import ERROR_RESPONSES, error_response
from kefu_kit.pages import DEFAULT_LIMIT, MAX_LIMIT, NEXT_CURSOR, PAGE_RESPONSES, BadCursor

from . import activities, earning, redeeming
from .bodies import (
    ActivityOut,
    MemberOut,
    MerchantOut,
    MerchantWithOffers,
    OfferOut,
    PointsOut,
    RedemptionOut,
    ReferralOut,
    SignupStatus,
)
from .context import Cause, Club, Conflict, Unknown
from .domain.benefits import NotEligible
from .domain.members import Property
from .domain.roster import RosterError
from .inputs import (
    MAX_ID,
    ActivityIn,
    Application,
    MerchantIn,
    OfferBase,
    RedemptionRequest,
    Referral,
    SignUp,
    offer_model,
)
from .joining import join
from .privacy import contact_for
from .standing import reading

# Who may do what in the club (domain.md: customer relations run the club, its benefits and its events).
# Reading a member, their points and redemptions, a merchant's offers or an event: the people who answer
# owners, their managers, and the analyst who counts (names and phones masked for the analyst).
READERS = (Role.HOTLINE_AGENT, Role.COMPLAINT_SPECIALIST, Role.AFTERSALES_SUPERVISOR, Role.CUSTOMER_RELATIONS,
           Role.DATA_ANALYST, Role.CS_MANAGER, Role.CS_GENERAL_MANAGER)
# Signing an owner up (to the club, to an event) or off an event: customer relations, and hotline agents
# doing it for an owner on the phone.
SIGNERS = (Role.HOTLINE_AGENT, Role.CUSTOMER_RELATIONS)
# Crediting points (referrals), redeeming, checking in, merchants, offers and events: customer relations only.
RELATIONS = (Role.CUSTOMER_RELATIONS,)


@asynccontextmanager
async def _answers() -> AsyncIterator[None]:
    """Use-case errors as HTTP answers."""
    try:
        yield
    except (Unknown, NotFound) as exc:
        raise HTTPException(404, str(exc).strip("'\"")) from exc
    except NotEligible as exc:
        raise HTTPException(403, str(exc)) from exc
    except (Conflict, RosterError) as exc:
        raise HTTPException(409, str(exc)) from exc
    except ConcurrentChange as exc:
        raise HTTPException(503, str(exc), headers={"Retry-After": "1"}) from exc


def _now() -> datetime:
    return datetime.now(timezone.utc)


# Ids in paths: what no record's id exceeds (inputs.py), so a longer one is a 422, not a search.
PathId = Annotated[str, Path(min_length=1, max_length=MAX_ID)]
Limit = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
Cursor = Query(None, description=f"the {NEXT_CURSOR} header of the previous page")


async def _paged(response: Response, read: Any) -> list[dict[str, Any]]:
    """One page from the store; the next page's cursor in the header; a cursor not ours is a 422."""
    try:
        found, next_cursor = await read
    except BadCursor as exc:
        raise HTTPException(422, str(exc)) from exc
    if next_cursor:
        response.headers[NEXT_CURSOR] = next_cursor
    return found


def _activity_view(activity: dict[str, Any]) -> dict[str, Any]:
    """An activity without its attendees' contact details."""
    return {k: v for k, v in activity.items() if k != "attendees"}


def _responses(*statuses: int, **described: str) -> dict[int | str, dict[str, Any]]:
    """The error statuses a route documents: the kit's for 404/422, else the words given (``s409="..."``)."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        out[status] = ERROR_RESPONSES[status]
    for key, words in described.items():
        status = int(key.removeprefix("s"))
        out[status] = error_response(status, words)
    return out


# Bodies as the records hold them: a field a record lacks stays absent (see bodies.py), never a new null.
AS_STORED: dict[str, Any] = {"response_model_exclude_unset": True}
BUSY = "too many concurrent changes of this record; retry after Retry-After seconds"
PAGED = {**PAGE_RESPONSES, **_responses(404, 422)}


def build_router(club: Club) -> APIRouter:
    router = APIRouter()

    async def member_view(member_id: str, who: Principal) -> dict[str, Any]:
        member = await club.members.get(member_id)
        if member is None:
            raise HTTPException(404, f"no member {member_id}")
        points, _ = await reading(club, member_id)
        tier = club.tiers.get(member.tier)
        return {"member_id": member.id, "customer_id": member.customer_id,
                "contact": contact_for(who, member.contact).to_doc(), "joined_at": member.joined_at,
                "source": member.source, "tier": tier.id, "tier_name": tier.name, "vip": tier.vip,
                "balance": points, "properties": [p.to_doc() for p in member.properties]}

    @router.post("/members", tags=["members"], status_code=201, response_model=MemberOut, **AS_STORED,
                 responses={200: {"model": MemberOut, "description": "already a member: the units added"},
                            **_responses(422, s503=BUSY)})
    async def apply(body: Application, response: Response, who: Allowed(*SIGNERS)) -> dict[str, Any]:
        """Join by application; an existing member gets the units added and a 200."""
        cause = Cause(f"application-{body.customer_id}", f"application-{body.customer_id}")
        async with _answers():
            member, created = await join(
                club, customer_id=body.customer_id,
                contact=Contact(name=body.name, phone=body.phone, email=body.email),
                properties=[Property.from_doc(p.model_dump()) for p in body.properties], source="application",
                cause=cause, now=_now())
        if not created:
            response.status_code = 200
        return await member_view(member.id, who)

    @router.get("/members/{member_id}", tags=["members"], response_model=MemberOut, **AS_STORED,
                responses=_responses(404, 422))
    async def get_member(member_id: PathId, who: Allowed(*READERS)) -> dict[str, Any]:
        """Profile, tier, points balance and properties (name and phone masked for roles without PII)."""
        return await member_view(member_id, who)

    @router.get("/members/{member_id}/points", tags=["members"], response_model=PointsOut, **AS_STORED, responses=PAGED)
    async def points(member_id: PathId, response: Response, who: Allowed(*READERS), limit: int = Limit,
                     cursor: str | None = Cursor) -> dict[str, Any]:
        """The ledger, oldest first (a page of it), and the balance all of it sums to."""
        member = await member_view(member_id, who)
        entries = await _paged(response, club.ledger.page(member_id, cursor, limit))
        return {"member_id": member_id, "balance": member["balance"], "entries": entries}

    @router.post("/members/{member_id}/referrals", tags=["members"], status_code=201, response_model=ReferralOut,
                 **AS_STORED,
                 dependencies=[Depends(require(*RELATIONS))],
                 responses={200: {"model": ReferralOut, "description": "this contract was recorded already"},
                            **_responses(404, 422, s409="the contract was referred by another member", s503=BUSY)})
    async def refer(member_id: PathId, body: Referral, response: Response) -> dict[str, Any]:
        """A referred buyer signed (老带新): points once per contract (a repeat answers 200)."""
        async with _answers():
            doc, created = await earning.refer(club, member_id, body.buyer_name, body.contract_ref, _now())
        if not created:
            response.status_code = 200
        return doc

    @router.post("/members/{member_id}/redemptions", tags=["benefits"], status_code=201,
                 response_model=RedemptionOut, **AS_STORED, dependencies=[Depends(require(*RELATIONS))],
                 responses={403: error_response(403, "the token's role may not redeem, or the member's tier is below "
                                                     "the offer's"),
                            **_responses(404, 422, s409="a limit of the offer is reached, or not enough points",
                                         s503=BUSY)})
    async def redeem(member_id: PathId, body: RedemptionRequest) -> dict[str, Any]:
        """Redeem an offer: a code, within the offer's limits, paid in points."""
        async with _answers():
            return await redeeming.redeem(club, member_id, body.offer_id, _now())

    @router.get("/members/{member_id}/redemptions", tags=["benefits"], response_model=list[RedemptionOut], **AS_STORED,
                responses=PAGED)
    async def redemptions(member_id: PathId, response: Response, who: Allowed(*READERS), limit: int = Limit,
                          cursor: str | None = Cursor) -> list[dict[str, Any]]:
        """The member's redemptions, oldest first."""
        await member_view(member_id, who)
        return await _paged(response, club.benefits.of_member(member_id, cursor, limit))

    @router.post("/merchants", tags=["benefits"], status_code=201, response_model=MerchantOut, **AS_STORED,
                 dependencies=[Depends(require(*RELATIONS))], responses=_responses(422))
    async def add_merchant(body: MerchantIn) -> dict[str, Any]:
        """An alliance merchant (联盟商家)."""
        return await redeeming.add_merchant(club, body.model_dump(), _now())

    async def add_offer(merchant_id: PathId, body: OfferBase) -> dict[str, Any]:
        """An offer of a merchant, from a tier up, with limits per member and in total."""
        async with _answers():
            return await redeeming.add_offer(club, merchant_id, body.model_dump(), _now())

    add_offer.__annotations__["body"] = offer_model(club.tiers)  # min_tier: the club's own tiers, in the document
    router.post("/merchants/{merchant_id}/offers", tags=["benefits"], status_code=201, response_model=OfferOut,
                **AS_STORED, dependencies=[Depends(require(*RELATIONS))],
                responses=_responses(404, 422))(add_offer)

    @router.get("/merchants/{merchant_id}", tags=["benefits"], response_model=MerchantWithOffers, **AS_STORED,
                responses=PAGED,
                dependencies=[Depends(require(*READERS))])
    async def get_merchant(merchant_id: PathId, response: Response, limit: int = Limit,
                           cursor: str | None = Cursor) -> dict[str, Any]:
        """The merchant and its offers, oldest first (a page of them: the cursor pages the offers)."""
        merchant = await club.benefits.merchant(merchant_id)
        if merchant is None:
            raise HTTPException(404, f"no merchant {merchant_id}")
        return {**merchant, "offers": await _paged(response, club.benefits.offers_of(merchant_id, cursor, limit))}

    @router.post("/activities", tags=["activities"], status_code=201, response_model=ActivityOut, **AS_STORED,
                 dependencies=[Depends(require(*RELATIONS))], responses=_responses(422))
    async def create_activity(body: ActivityIn) -> dict[str, Any]:
        """A community event (社区文化活动) with a capacity."""
        return _activity_view(await activities.create(
            club, body.title, body.project, body.starts_at, body.capacity, body.duration_minutes, _now()))

    @router.get("/activities/{activity_id}", tags=["activities"], response_model=ActivityOut, **AS_STORED,
                dependencies=[Depends(require(*READERS))], responses=_responses(404, 422))
    async def get_activity(activity_id: PathId) -> dict[str, Any]:
        """The event and its roster (member numbers only)."""
        activity = await club.activities.get(activity_id)
        if activity is None:
            raise HTTPException(404, f"no activity {activity_id}")
        return _activity_view(activity)

    @router.post("/activities/{activity_id}/signups", tags=["activities"], response_model=SignupStatus, **AS_STORED,
                 dependencies=[Depends(require(*SIGNERS))],
                 responses=_responses(404, 422, s409="the event is closed", s503=BUSY))
    async def sign_up(activity_id: PathId, body: SignUp) -> dict[str, Any]:
        """Sign up: confirmed while places are free, else waitlisted."""
        async with _answers():
            activity = await activities.sign_up(club, activity_id, body.member_id, _now())
        return {"activity_id": activity_id, "member_id": body.member_id,
                "status": activities.status_of(activity, body.member_id)}

    @router.delete("/activities/{activity_id}/signups/{member_id}", tags=["activities"], response_model=ActivityOut,
                   **AS_STORED,
                   dependencies=[Depends(require(*SIGNERS))],
                   responses=_responses(404, 422, s409="the event is closed, or the member has checked in",
                                        s503=BUSY))
    async def cancel(activity_id: PathId, member_id: PathId) -> dict[str, Any]:
        """Cancel; the first waitlisted member moves up."""
        async with _answers():
            activity = await activities.cancel(club, activity_id, member_id, _now())
        return _activity_view(activity)

    @router.post("/activities/{activity_id}/signups/{member_id}/checkin", tags=["activities"],
                 response_model=SignupStatus, **AS_STORED, dependencies=[Depends(require(*RELATIONS))],
                 responses=_responses(404, 422, s409="the event is closed, or the member has no confirmed place",
                                      s503=BUSY))
    async def check_in(activity_id: PathId, member_id: PathId) -> dict[str, Any]:
        """A confirmed member arrived: points for attending."""
        async with _answers():
            activity = await activities.check_in(club, activity_id, member_id, _now())
        return {"activity_id": activity_id, "member_id": member_id, "status": activities.status_of(activity, member_id)}

    @router.post("/activities/{activity_id}/close", tags=["activities"], response_model=ActivityOut, **AS_STORED,
                 dependencies=[Depends(require(*RELATIONS))], responses=_responses(404, 422, s503=BUSY))
    async def close(activity_id: PathId) -> dict[str, Any]:
        """The event is over: attendees get the event-feedback survey."""
        async with _answers():
            return _activity_view(await activities.close(club, activity_id, _now()))

    return router
