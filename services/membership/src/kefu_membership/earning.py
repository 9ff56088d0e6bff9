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
    """Points for an answered return visit or survey, by its kind; owners who are not members earn none."""
    member_id = member_id_for(event.customer_id)
    if await club.members.get(member_id) is None:
        log.info("survey answered by a non-member: no points", survey_id=event.survey_id)
        return
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
