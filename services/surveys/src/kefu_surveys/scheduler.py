"""The durable scheduler: surveys that fall due are published, unanswered ones expire and are retried once.

Every instance runs it (``kit.every``). The effect of each step is claimed first with
an insert of the event it publishes (``outbox``, ``_id`` = the event's deterministic
id), so two instances and a restart publish each ``survey.due`` once; the claim's
winner then updates the survey's status. A loser that finds the status behind the
claim (its writer died in between) repairs it from the claim.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kefu_kit import get_logger

from .context import Surveys
from .domain.visits import first_channel, on_expiry
from .events import due_event_id, survey_due

log = get_logger(__name__)


async def run_once(r: Surveys, now: datetime) -> None:
    for survey in await r.surveys.due(now):
        await fire(survey, r, now)
    for survey in await r.surveys.expired(now):
        await expire(survey, r, now)


async def _customer(survey: dict[str, Any], r: Surveys) -> dict[str, Any]:
    """The customer with the contact known now; a visit still waiting for its customer looks once more."""
    customer_id = (survey.get("customer") or {}).get("customer_id")
    if not customer_id and survey.get("case_id"):
        case = await r.cases.get(survey["case_id"])
        customer_id = case["customer_id"] if case else None
    if not customer_id:
        return {}
    return {"customer_id": customer_id, **await r.customers.contact(customer_id)}


async def fire(survey: dict[str, Any], r: Surveys, now: datetime) -> None:
    """Publish the survey's first ``survey.due``; with no known customer or contact an agent phones."""
    customer = await _customer(survey, r)
    channel = first_channel(survey["kind"], customer, r.policy)
    survey = {**survey, "customer": customer}
    expires_at = now + r.answer_window(survey["kind"])
    event = survey_due(survey, 1, channel, survey["due_at"], expires_at, now)
    if await r.outbox.claim(event.event_id, event, now, survey_id=survey["_id"], campaign_id=None):
        await r.surveys.set(survey["_id"], status="open", customer=customer, channel=channel,
                            expires_at=expires_at, opened_at=now)
        await r.outbox.send(event.event_id, event)
        log.info("survey due published", survey_id=survey["_id"], kind=survey["kind"], channel=channel)
    else:
        await _repair(survey["_id"], 1, r)


async def expire(survey: dict[str, Any], r: Surveys, now: datetime) -> None:
    """No answer by its expiry: unreachable on this channel; retried once on the next, then unreachable for good."""
    if await r.answers.collection.find_one({"_id": survey["_id"]}, {"_id": 1}):
        await r.surveys.set(survey["_id"], status="answered")  # an answer raced the expiry
        return
    attempt, channel = survey.get("attempt") or 1, survey["channel"]
    missed = {"attempt": attempt, "channel": channel, "expired_at": survey["expires_at"]}
    decision = on_expiry(attempt, channel, r.policy)
    if decision.outcome == "unreachable":
        await r.surveys.set(survey["_id"], status="unreachable", unreachable=[*survey["unreachable"], missed])
        log.info("survey unreachable", survey_id=survey["_id"], attempts=attempt)
        return
    expires_at = now + r.answer_window(survey["kind"])
    event = survey_due(survey, attempt + 1, decision.channel, now, expires_at, now)
    if await r.outbox.claim(event.event_id, event, now, survey_id=survey["_id"], campaign_id=survey.get("campaign_id")):
        await r.surveys.set(survey["_id"], status="open", attempt=attempt + 1, channel=decision.channel,
                            expires_at=expires_at, unreachable=[*survey["unreachable"], missed])
        await r.outbox.send(event.event_id, event)
        log.info("survey retried on another channel", survey_id=survey["_id"], channel=decision.channel)
    else:
        await _repair(survey["_id"], attempt + 1, r, missed)


async def _repair(survey_id: str, attempt: int, r: Surveys, missed: dict[str, Any] | None = None) -> None:
    """Another writer claimed this attempt; make the survey's status say so if that writer died before."""
    claim = await r.outbox.collection.find_one({"_id": due_event_id(survey_id, attempt)})
    survey = await r.surveys.get(survey_id)
    if claim is None or survey is None or (survey["status"] == "open" and survey.get("attempt") == attempt):
        return
    if survey["status"] in ("answered", "unreachable"):
        return
    event = claim["event"]
    fields: dict[str, Any] = {"status": "open", "attempt": attempt, "channel": event["preferred_channel"],
                              "expires_at": datetime.fromisoformat(event["expires_at"])}
    if attempt == 1:
        fields["customer"] = {k: v for k, v in event["customer"].items() if v}
    elif missed and not any(m["attempt"] == missed["attempt"] for m in survey["unreachable"]):
        fields["unreachable"] = [*survey["unreachable"], missed]
    await r.surveys.set(survey_id, **fields)
