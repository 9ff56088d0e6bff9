"""The durable scheduler: surveys that fall due are published, unanswered ones expire and are retried once.

Every instance runs it (``kit.every``). Each step is claimed on the survey itself: a
conditional update matching the status and attempt the instance read, which sets the
new status and the ``survey.due`` it owes in one write (``SurveyStore.claim``). Of two
instances (or a run after a restart) one matches, so each ``survey.due`` is published
once; the winner publishes and drops the entry, the relay publishes one a dead writer
left. Nothing is kept per step beyond the survey: its status and attempt are the key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kefu_kit import get_logger

from .context import Surveys
from .domain.visits import first_channel, on_expiry
from .adapters.store import DueOutbox
from .answers import new_link
from .events import survey_due

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


async def _link(r: Surveys, survey_id: str, channel: str, expires_at: datetime, now: datetime) -> str | None:
    """The owner's answer link for this attempt, stored before the claim that owes the event: a link an owner
    receives always exists (a claim another instance wins leaves an unsent link, which expires unused)."""
    made = new_link(r, channel)
    if made is None:
        return None
    digest, url = made
    await r.links.add(digest, survey_id, expires_at, now)
    return url


async def fire(survey: dict[str, Any], r: Surveys, now: datetime) -> None:
    """Publish the survey's first ``survey.due``; with no known customer or contact an agent phones."""
    customer = await _customer(survey, r)
    channel = first_channel(survey["kind"], customer, r.policy)
    expires_at = now + r.answer_window(survey["kind"])
    link = await _link(r, survey["_id"], channel, expires_at, now)
    event = survey_due({**survey, "customer": customer}, 1, channel, survey["due_at"], expires_at, now, link)
    owed = DueOutbox.entry(event, now, survey.get("campaign_id"))
    if await r.surveys.claim(survey, owed, status="open", customer=customer, channel=channel,
                             expires_at=expires_at, opened_at=now):
        await r.outbox.send(survey["_id"], owed, event)
        log.info("survey due published", survey_id=survey["_id"], kind=survey["kind"], channel=channel)


async def expire(survey: dict[str, Any], r: Surveys, now: datetime) -> None:
    """No answer by its expiry: unreachable on this channel; retried once on the next, then unreachable for good."""
    if await r.answers.answered(survey["_id"]):
        await r.surveys.set(survey, status="answered")  # an answer raced the expiry
        return
    attempt, channel = survey.get("attempt") or 1, survey["channel"]
    missed = {"attempt": attempt, "channel": channel, "expired_at": survey["expires_at"]}
    decision = on_expiry(attempt, channel, r.policy)
    if decision.outcome == "unreachable":
        if await r.surveys.claim(survey, status="unreachable", unreachable=[*survey["unreachable"], missed]):
            log.info("survey unreachable", survey_id=survey["_id"], attempts=attempt)
        return
    expires_at = now + r.answer_window(survey["kind"])
    link = await _link(r, survey["_id"], decision.channel, expires_at, now)
    event = survey_due(survey, attempt + 1, decision.channel, now, expires_at, now, link)
    owed = DueOutbox.entry(event, now, survey.get("campaign_id"))
    if await r.surveys.claim(survey, owed, status="open", attempt=attempt + 1, channel=decision.channel,
                             expires_at=expires_at, unreachable=[*survey["unreachable"], missed]):
        await r.outbox.send(survey["_id"], owed, event)
        log.info("survey retried on another channel", survey_id=survey["_id"], channel=decision.channel)
