"""Recording answers: by an agent after a phone visit, or by the owner through a single-use link.

One answer per survey: the answer is claimed with an insert keyed by the survey id,
so a second answer (another agent, the link after a call, a double click) is refused
and ``survey.answered`` is published once. Which link may answer and what is recorded
are decided in ``domain.answering``; a dissatisfied answer needs nothing more here:
routing reopens and escalates the case on ``survey.answered``.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any, Literal

from kefu_kit import get_logger

from .context import Surveys
from .domain.answering import AnswerLink, Conflict, Gone, NotFound, answer_of, check_link, check_open
from .domain.questionnaires import Questionnaire
from .domain.surveys import Survey
from .events import survey_answered

__all__ = ["Conflict", "Gone", "NotFound", "answer_by_link", "issue_link", "new_link", "open_link",
           "questionnaire_of", "record", "token_hash"]

log = get_logger(__name__)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def record(r: Surveys, survey_id: str, answer: dict[str, Any], by: str, via: Literal["agent", "link"],
                 now: datetime) -> dict[str, Any]:
    """Store the answer once and publish ``survey.answered``; Conflict when it was answered before."""
    survey = await r.surveys.get(survey_id)
    if survey is None:
        raise NotFound(survey_id)
    fields = questionnaire_of(r, survey).check(answer)
    answered = answer_of(survey, await r.customer_id_of(survey), fields, by, via, now)
    event = survey_answered(survey, answered.customer_id, answered.fields(), now)
    if not await r.answers.add(answered, event):
        raise Conflict(f"survey {survey_id} was answered already")
    if survey.campaign_id:
        await r.counts.add(survey.campaign_id, "answered")
    await r.surveys.update(survey, survey.answered(now))
    await r.answers.send(survey_id, event)
    log.info("survey answered", survey_id=survey_id, via=via, dissatisfied=answered.dissatisfied)
    return {"survey_id": survey_id, "event_id": event.event_id, **answered.fields()}


def questionnaire_of(r: Surveys, survey: Survey) -> Questionnaire:
    return r.questionnaires[survey.questionnaire_id]


SELF_SERVICE = frozenset({"sms", "wechat", "email"})  # channels on which the owner answers by themselves


def new_link(r: Surveys, channel: str) -> tuple[str, str] | None:
    """A fresh owner's link for a ``survey.due`` on ``channel``: (token SHA-256 to store, URL to send), or None
    when an agent phones. The caller stores the hash before the event can go out, so a sent link always works."""
    if channel not in SELF_SERVICE:
        return None
    token = secrets.token_urlsafe(32)
    return token_hash(token), f"{r.settings.public_url.rstrip('/')}/s/{token}"


async def issue_link(r: Surveys, survey_id: str, now: datetime) -> dict[str, Any]:
    """A new random link for the owner, valid until the survey's current attempt expires (only its hash is kept)."""
    survey = await r.surveys.get(survey_id)
    if survey is None:
        raise NotFound(survey_id)
    expires_at = check_open(survey)
    token = secrets.token_urlsafe(32)
    await r.links.add(token_hash(token), survey_id, expires_at, now)
    return {"token": token, "url": f"{r.settings.public_url.rstrip('/')}/s/{token}", "expires_at": expires_at}


async def open_link(r: Surveys, token: str, now: datetime) -> tuple[AnswerLink, Survey]:
    """The link's survey, when the link is valid; NotFound, Gone (used, expired) or Conflict (answered)."""
    digest = token_hash(token)
    link = await r.links.get(digest)
    if link is None:
        return check_link(None, False, None, now)
    return check_link(link, await r.links.used(digest), await r.surveys.get(link.survey_id), now)


async def answer_by_link(r: Surveys, token: str, answer: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The owner's answer: the form is checked before the link is used up, then the link is used once."""
    _, survey = await open_link(r, token, now)
    questionnaire_of(r, survey).check(answer)
    if not await r.links.use(token_hash(token), now):
        raise Gone("this link has been used")
    return await record(r, survey.id, answer, by="owner", via="link", now=now)
