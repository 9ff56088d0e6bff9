"""The durable scheduler: surveys that fall due are published, unanswered ones expire and are retried once.

Every instance runs it (``kit.every``). Each step is decided in pure code
(``domain.surveys``: ``first_attempt``, ``after_expiry``) and claimed on the survey itself:
a conditional update matching the status and attempt the instance read, which sets the
new state and the ``survey.due`` it owes in one write (``SurveyStore.claim``). Of two
instances (or a run after a restart) one matches, so each ``survey.due`` is published
once; the winner publishes and drops the entry, the relay publishes one a dead writer
left. Nothing is kept per step beyond the survey: its status and attempt are the key.
"""

from __future__ import annotations

from datetime import datetime

from kefu_kit import get_logger

from .adapters.store import DueOutbox, Owed
from .answers import new_link
from .context import Surveys
from .domain.surveys import Contact, Survey, after_expiry, first_attempt
from .events import survey_due

log = get_logger(__name__)


async def run_once(r: Surveys, now: datetime) -> None:
    for survey in await r.surveys.due(now):
        await fire(survey, r, now)
    for survey in await r.surveys.expired(now):
        await expire(survey, r, now)


async def _customer(survey: Survey, r: Surveys) -> Contact:
    """The customer with the contact known now; a visit still waiting for its customer looks once more."""
    customer_id = await r.customer_id_of(survey)
    if not customer_id:
        return Contact()
    return Contact(customer_id=customer_id, **await r.customers.contact(customer_id))


async def _link(r: Surveys, survey_id: str, channel: str, expires_at: datetime, now: datetime) -> str | None:
    """The owner's answer link for this attempt, stored before the claim that owes the event: a link an owner
    receives always exists (a claim another instance wins leaves an unsent link, which expires unused)."""
    made = new_link(r, channel)
    if made is None:
        return None
    digest, url = made
    await r.links.add(digest, survey_id, expires_at, now)
    return url


async def _claim(r: Surveys, read: Survey, step: Survey, due_at: datetime, now: datetime) -> bool:
    """Claim an attempt that goes out (``step``: open, with its channel and expiry) and publish its ``survey.due``."""
    assert step.channel is not None and step.expires_at is not None
    link = await _link(r, step.id, step.channel, step.expires_at, now)
    event = survey_due(step, step.attempt, step.channel, due_at, step.expires_at, now, link)
    owed = DueOutbox.entry(event, now, step.campaign_id)
    if not await r.surveys.claim(read, step.owing(owed)):
        return False
    await r.outbox.send(Owed(step.id, owed), event)
    return True


async def fire(survey: Survey, r: Surveys, now: datetime) -> None:
    """Publish the survey's first ``survey.due``; with no known customer or contact an agent phones."""
    step = first_attempt(survey, await _customer(survey, r), r.policy, r.answer_window(survey.kind), now)
    if await _claim(r, survey, step, survey.due_at, now):
        log.info("survey due published", survey_id=survey.id, kind=survey.kind, channel=step.channel)


async def expire(survey: Survey, r: Surveys, now: datetime) -> None:
    """No answer by its expiry: unreachable on this channel; retried once on the next, then unreachable for good."""
    if await r.answers.answered(survey.id):
        await r.surveys.update(survey, survey.answered())  # an answer raced the expiry
        return
    step = after_expiry(survey, r.policy, r.answer_window(survey.kind), now)
    if step.status == "unreachable":
        if await r.surveys.claim(survey, step):
            log.info("survey unreachable", survey_id=survey.id, attempts=survey.attempt)
        return
    if await _claim(r, survey, step, now, now):
        log.info("survey retried on another channel", survey_id=survey.id, channel=step.channel)
