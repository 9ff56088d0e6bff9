"""Earning points: answering a return visit or survey, attending an event, referring a buyer (老带新).

Each credit's ledger id is derived from its cause and rule, so a redelivered
survey answer, a repeated check-in or a referral of the same contract earns
once. The tier is refreshed after every credit, even a repeated one: a process
that died between the credit and the refresh is put right by the redelivery.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kefu_contracts import SurveyAnswered
from kefu_kit import get_logger

from .context import Cause, Club, Conflict, Unknown
from .domain.members import member_id_for
from .standing import refresh_tier

log = get_logger(__name__)


async def credit(club: Club, member_id: str, points: int, rule: str, source: str, cause: Cause, now: datetime,
                 **detail: Any) -> bool:
    """Credit once per (source, rule) and refresh the tier; True when the credit is new."""
    new = await club.ledger.credit(member_id, points, rule, source, now, **detail)
    await refresh_tier(club, member_id, cause, now)
    return new


async def survey_answered(club: Club, event: SurveyAnswered, now: datetime) -> None:
    """Points for an answered return visit or survey, by its kind; owners who are not members earn none.

    An answer whose owner is not a member yet may have overtaken the handover that makes them one
    (another topic): it is parked and earns when they join within ``parked_max_age``, as in order.
    """
    member_id = member_id_for(event.customer_id)
    if await club.members.get(member_id) is None:
        if club.parked is None:
            log.info("survey answered by a non-member: no points", survey_id=event.survey_id)
            return
        await club.parked.park({"_id": event.event_id, "member_id": member_id, "occurred_at": event.occurred_at,
                                "parked_at": now, "event": event.to_json_bytes()})
        if await club.members.get(member_id) is None:  # else: joined meanwhile, and may not have seen it
            log.info("survey answered by a non-member: parked until they join", survey_id=event.survey_id)
            return
        await apply_parked(club, member_id, now)
        return
    await _earn(club, member_id, event, now)


async def apply_parked(club: Club, member_id: str, now: datetime) -> int:
    """A member exists: credit the answers parked for them, in order, once each (the ledger's ids), and drop them."""
    if club.parked is None:
        return 0
    docs = await club.parked.of_member(member_id)
    for doc in docs:
        await _earn(club, member_id, SurveyAnswered.model_validate_json(doc["event"]), now)
        await club.parked.remove(doc["_id"])
    return len(docs)


async def expire_parked(club: Club, now: datetime) -> tuple[int, int]:
    """Answers parked longer than ``parked_max_age``: their owner did not join, so no points (the rule for
    non-members, now final). Returns (expired, parked still)."""
    assert club.parked is not None
    expired = 0
    for doc in await club.parked.older_than(now - club.parked_max_age):
        if await club.members.get(doc["member_id"]) is not None:
            await apply_parked(club, doc["member_id"], now)  # joined, but its join died before applying
            continue
        await club.parked.remove(doc["_id"])
        log.info("survey answered by an owner who did not join: no points", event_id=doc["_id"])
        expired += 1
    return expired, await club.parked.count()


async def _earn(club: Club, member_id: str, event: SurveyAnswered, now: datetime) -> None:
    await credit(club, member_id, club.rules.for_survey(event.kind.value), "survey", event.event_id,
                 Cause(event.event_id, event.correlation_id), now, survey_id=event.survey_id,
                 kind=event.kind.value)


async def refer(club: Club, member_id: str, buyer_name: str, contract_ref: str, now: datetime
                ) -> tuple[dict[str, Any], bool]:
    """A member referred a buyer who signed: points once per contract, to the first member who reports it."""
    if await club.members.get(member_id) is None:
        raise Unknown(f"no member {member_id}")
    doc, created = await club.referrals.record(
        {"_id": contract_ref, "member_id": member_id, "buyer_name": buyer_name, "at": now})
    if doc["member_id"] != member_id:
        raise Conflict(f"contract {contract_ref} was referred by another member")
    source = f"referral|{contract_ref}"
    await credit(club, member_id, club.rules.referral, "referral", source, Cause(source, source), now,
                 contract_ref=contract_ref)
    return doc, created
