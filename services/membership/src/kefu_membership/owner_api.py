"""The owner's club routes: ``/o/{token}`` (the page, or JSON for programs) and what an owner does from it.

Open routes (``public``): the signed link in the path is the credential, and it names the member;
no body or path of these routes names a member, so an owner cannot act for another (a body that
tries is refused: its models forbid extra fields). Staff ask for a fresh link for an owner with
``POST /members/{member_id}/club-link`` (e.g. an agent on the phone), the same link member.joined carries.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from kefu_kit.aggregates import ConcurrentChange, NotFound
from kefu_kit.auth import Role, public, require
from kefu_kit.http_errors import ERROR_RESPONSES, error_response
from kefu_kit.owner_pages import HTML_CONTENT, locale_of, wants_html
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pymongo.asynchronous.database import AsyncDatabase

from . import owner_club, owner_page
from .adapters.owner_reads import OwnerReads
from .context import Club, Conflict, Unknown
from .domain.benefits import NotEligible
from .domain.roster import RosterError
from .inputs import ID_PATTERN, MAX_ID, Id
from .owner_links import TOKEN_MAX, BadLink, ExpiredLink, OwnerLinks
from .settings import Settings

OPEN = public("the owner's club page and its actions: the signed, expiring link in the URL is the credential "
              "and names the member")
Token = Annotated[str, Path(min_length=1, max_length=TOKEN_MAX, description="the owner's signed link token")]
ActivityId = Annotated[str, Path(min_length=1, max_length=MAX_ID, pattern=ID_PATTERN)]
MemberId = Annotated[str, Path(min_length=1, max_length=MAX_ID, pattern=ID_PATTERN)]
BUSY = "too many concurrent changes; retry after Retry-After seconds"
LINK_ERRORS: dict[int | str, dict[str, Any]] = {
    404: error_response(404, "not an owner link of ours, or no such member, offer or event"),
    410: error_response(410, "the link has expired"), 422: ERROR_RESPONSES[422]}


def owner_links(settings: Settings) -> OwnerLinks | None:
    secret = settings.owner_link_secret
    if secret is None:
        return None
    return OwnerLinks(secret.get_secret_value().encode(), settings.owner_link_base_url, timedelta(seconds=settings.owner_link_ttl_s))


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OfferChoice(Strict):
    offer_id: str = Id("the offer to redeem")


class EventChoice(Strict):
    activity_id: str = Id("the community event")


class LedgerLine(BaseModel):
    points: int
    rule: str
    at: datetime


class OwnerOffer(BaseModel):
    offer_id: str
    title: str
    min_tier: str
    merchant: str | None
    points_cost: int
    limit_per_member: int
    redeemed: int = Field(description="how many times this owner has redeemed it")
    redeemable: bool
    why_not: Literal["limit", "sold_out", "points"] | None


class OwnerCode(BaseModel):
    code: str = Field(description="the code the owner shows the merchant")
    offer_id: str
    title: str
    points: int
    at: datetime


class Place(BaseModel):
    activity_id: str
    status: Literal["confirmed", "waitlisted", "checked_in"] | None
    waitlist_position: int | None = Field(description="1 = next to move up; null unless waitlisted")


class OwnerEvent(Place):
    title: str
    project: str | None
    starts_at: datetime
    ends_at: datetime
    capacity: int
    taken: int = Field(description="confirmed places")
    waiting: int = Field(description="owners on the waiting list")


class OwnerClub(BaseModel):
    member_id: str
    tier: str
    tier_name: str
    vip: bool
    balance: int
    joined_at: datetime
    ledger: list[LedgerLine] = Field(description="the newest entries first")
    ledger_entries: int
    offers: list[OwnerOffer] = Field(description="the offers the owner's tier allows")
    redemptions: list[OwnerCode]
    events: list[OwnerEvent] = Field(description="coming community events open to the owner")


class ClubLink(BaseModel):
    member_id: str
    token: str
    url: str
    expires_at: AwareDatetime


def _now() -> datetime:
    return datetime.now(timezone.utc)


def build_owner_router(club: Club, db: AsyncDatabase[dict[str, Any]]) -> APIRouter:
    router = APIRouter(tags=["owners"])
    reads = OwnerReads(db)

    def member_of(token: str) -> str:
        if club.links is None:
            raise HTTPException(404, "owner links are not enabled")
        try:
            return club.links.member_of(token, _now())
        except BadLink as exc:
            raise HTTPException(404, str(exc)) from exc
        except ExpiredLink as exc:
            raise HTTPException(410, str(exc)) from exc

    async def run(make: Any) -> dict[str, Any]:
        try:
            return await make()
        except (Unknown, NotFound) as exc:
            raise HTTPException(404, str(exc).strip("'\"")) from exc
        except NotEligible as exc:
            raise HTTPException(403, str(exc)) from exc
        except (Conflict, RosterError) as exc:
            raise HTTPException(409, str(exc)) from exc
        except ConcurrentChange as exc:
            raise HTTPException(503, str(exc), headers={"Retry-After": "1"}) from exc

    @router.get("/o/{token}", response_model=OwnerClub, openapi_extra=OPEN,
                responses={200: {"content": HTML_CONTENT}, **LINK_ERRORS})
    async def club_page(token: Token, request: Request) -> Any:
        """The owner's club: a page for a browser (Accept: text/html), the same as JSON for programs."""
        html = wants_html(request)
        locale = locale_of(request)
        try:
            member_id = member_of(token)
            shown = await run(lambda: owner_club.view(club, reads, member_id, _now()))
        except HTTPException as exc:
            if html and exc.status_code in (404, 410):
                return owner_page.refusal(exc.status_code, locale)
            raise
        return owner_page.club(shown, locale) if html else shown

    @router.post("/o/{token}/redemptions", status_code=201, response_model=OwnerCode, openapi_extra=OPEN,
                 responses={**LINK_ERRORS, 403: error_response(403, "the owner's tier is below the offer's"),
                            409: error_response(409, "a limit of the offer is reached, or not enough points"),
                            503: error_response(503, BUSY)})
    async def redeem(token: Token, body: OfferChoice) -> dict[str, Any]:
        """The owner redeems an offer their tier allows (the staff redemption: limits, points, a code)."""
        member_id = member_of(token)
        return await run(lambda: owner_club.redeem(club, member_id, body.offer_id, _now()))

    @router.post("/o/{token}/signups", response_model=Place, openapi_extra=OPEN,
                 responses={**LINK_ERRORS, 409: error_response(409, "the event is closed"),
                            503: error_response(503, BUSY)})
    async def sign_up(token: Token, body: EventChoice) -> dict[str, Any]:
        """The owner signs up: a place while places are free, else the waiting list (and its position)."""
        member_id = member_of(token)
        return await run(lambda: owner_club.sign_up(club, member_id, body.activity_id, _now()))

    @router.delete("/o/{token}/signups/{activity_id}", response_model=Place, openapi_extra=OPEN,
                   responses={**LINK_ERRORS, 409: error_response(409, "the event is closed, or the owner checked in"),
                              503: error_response(503, BUSY)})
    async def cancel(token: Token, activity_id: ActivityId) -> dict[str, Any]:
        """The owner gives up their place (or waiting place); the first waiting moves up."""
        member_id = member_of(token)
        return await run(lambda: owner_club.cancel(club, member_id, activity_id, _now()))

    @router.post("/members/{member_id}/club-link", status_code=201, response_model=ClubLink,
                 dependencies=[Depends(require(Role.HOTLINE_AGENT, Role.CUSTOMER_RELATIONS))],
                 responses={404: ERROR_RESPONSES[404], 422: ERROR_RESPONSES[422],
                            409: error_response(409, "owner links are not enabled (KEFU_OWNER_LINK_SECRET unset)")})
    async def club_link(member_id: MemberId) -> dict[str, Any]:
        """A fresh club link for an owner (to send again, e.g. on the phone); it expires like the welcome's."""
        if club.links is None:
            raise HTTPException(409, "owner links are not enabled (KEFU_OWNER_LINK_SECRET unset)")
        await run(lambda: owner_club.member_of(club, member_id))
        token, url, expires_at = club.links.issue(member_id, _now())
        return {"member_id": member_id, "token": token, "url": url, "expires_at": expires_at}

    return router
