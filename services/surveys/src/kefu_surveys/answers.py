"""Recording answers: by an agent after a phone visit, or by the owner through a single-use link.

One answer per survey: the answer is claimed with an insert keyed by the survey id,
so a second answer (another agent, the link after a call, a double click) is refused
and ``survey.answered`` is published once. A dissatisfied answer needs nothing more
here: routing reopens and escalates the case on ``survey.answered``.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any

from kefu_kit import get_logger

from .adapters.store import answer_facets
from .context import Surveys
from .domain.questionnaires import Questionnaire
from .domain.visits import is_dissatisfied
from .events import survey_answered

log = get_logger(__name__)

CHINA = timezone(timedelta(hours=8))  # reports count months in Beijing time (no daylight saving)


class NotFound(LookupError):
    pass


class Conflict(Exception):
    """The survey cannot take this answer (answered already, customer unknown)."""


class Gone(Exception):
    """The link was used or has expired."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def record(r: Surveys, survey_id: str, answer: dict[str, Any], by: str, via: str,
                 now: datetime) -> dict[str, Any]:
    """Store the answer once and publish ``survey.answered``; Conflict when it was answered before."""
    survey = await r.surveys.get(survey_id)
    if survey is None:
        raise NotFound(survey_id)
    fields = questionnaire_of(r, survey).check(answer)
    customer_id = (survey.get("customer") or {}).get("customer_id")
    if not customer_id and survey.get("case_id"):
        case = await r.cases.get(survey["case_id"])
        customer_id = case["customer_id"] if case else None
    if not customer_id:
        raise Conflict("the survey's customer is not known yet; try again when the case is")
    event = survey_answered(survey, customer_id, fields, now)
    month = now.astimezone(CHINA).strftime("%Y-%m")
    claimed = await r.answers.claim(
        survey_id, event, now, survey_id=survey_id, kind=survey["kind"], customer_id=customer_id,
        case_id=survey.get("case_id"), campaign_id=survey.get("campaign_id"), project=survey.get("project"),
        department=survey.get("department"), month=month, by=by, via=via,
        attempt=survey.get("attempt") or 1, answered_at=now,
        facets=answer_facets({"month": month, "project": survey.get("project"),
                              "department": survey.get("department")}), **fields,
    )
    if not claimed:
        raise Conflict(f"survey {survey_id} was answered already")
    if survey.get("campaign_id"):
        await r.counts.add(survey["campaign_id"], "answered")
    await r.surveys.set(survey, status="answered", answered_at=now)
    await r.answers.send(survey_id, event)
    log.info("survey answered", survey_id=survey_id, via=via, dissatisfied=is_dissatisfied(fields.get("csat"),
                                                                                           fields.get("solved")))
    return {"survey_id": survey_id, "event_id": event.event_id, **fields}


def questionnaire_of(r: Surveys, survey: dict[str, Any]) -> Questionnaire:
    return r.questionnaires[survey["questionnaire_id"]]


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
    if survey["status"] != "open":
        raise Conflict(f"survey {survey_id} is {survey['status']}, not open for answers")
    token = secrets.token_urlsafe(32)
    await r.links.add(token_hash(token), survey_id, survey["expires_at"], now)
    return {"token": token, "url": f"{r.settings.public_url.rstrip('/')}/s/{token}",
            "expires_at": survey["expires_at"]}


async def open_link(r: Surveys, token: str, now: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
    """The link's survey, when the link is valid; NotFound, Gone (used, expired) or Conflict (answered)."""
    digest = token_hash(token)
    link = await r.links.get(digest)
    if link is None:
        raise NotFound("no such link")
    if link["expires_at"] <= now:
        raise Gone("this link has expired")
    if await r.links.used(digest):
        raise Gone("this link has been used")
    survey = await r.surveys.get(link["survey_id"])
    if survey is None:
        raise NotFound("no such link")
    if survey["status"] == "answered":
        raise Conflict("this survey has been answered already")
    return link, survey


async def answer_by_link(r: Surveys, token: str, answer: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The owner's answer: the form is checked before the link is used up, then the link is used once."""
    _, survey = await open_link(r, token, now)
    questionnaire_of(r, survey).check(answer)
    if not await r.links.use(token_hash(token), now):
        raise Gone("this link has been used")
    return await record(r, survey["_id"], answer, by="owner", via="link", now=now)
