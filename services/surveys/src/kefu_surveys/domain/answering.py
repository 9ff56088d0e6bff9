"""Answering a survey, decided in pure code: which link may still answer, and the answer that is recorded.

* An owner's link answers once, until it expires: an unknown link is "not found", an
  expired or used one is "gone", a link whose survey was answered (an agent phoned) is
  a conflict. Expiry is checked first: a link both expired and used says "expired".
* An answer needs the survey's customer (from the survey, or its case once known): an
  answer nobody can be credited with is refused until the case is known.
* The answer is recorded with what results are counted by (month in Beijing time,
  project, department) and what ``survey.answered`` says; a dissatisfied one (CSAT <= 2
  or not solved) needs nothing more here: routing reopens and escalates the case on it.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from pydantic import BaseModel, Field

from .surveys import Survey, SurveyKind, Stored
from .visits import is_dissatisfied

CHINA = timezone(timedelta(hours=8))  # reports count months in Beijing time (no daylight saving)


class NotFound(LookupError):
    pass


class Conflict(Exception):
    """The survey cannot take this answer (answered already, customer unknown, not open)."""


class Gone(Exception):
    """The link was used or has expired."""


class AnswerFields(BaseModel):
    """What an owner answers (each question of a questionnaire is one of these fields)."""

    csat: int | None = Field(None, ge=1, le=5)
    solved: bool | None = None
    nps: int | None = Field(None, ge=0, le=10)
    comment: str | None = Field(None, max_length=2000)


class SurveyAnswer(Stored):
    """The one answer of a survey (``_id``: the survey's id; its insert is the claim), as results count it.

    Only the fields its questionnaire asks are stored (``csat``, ``solved``, ``nps``, ``comment``); the
    store keeps the ``survey.answered`` it owes next to them (``Outbox`` fields, kept as extras here).
    """

    id: str = Field(alias="_id")
    survey_id: str
    kind: SurveyKind
    customer_id: str
    case_id: str | None = None
    campaign_id: str | None = None
    project: str | None = None
    department: str | None = None
    month: str
    by: str  # "owner" or "agent:<id>"
    via: Literal["agent", "link"]
    attempt: int = 1
    answered_at: datetime
    csat: int | None = None
    solved: bool | None = None
    nps: int | None = None
    comment: str | None = None

    @property
    def dissatisfied(self) -> bool:
        return is_dissatisfied(self.csat, self.solved)

    def fields(self) -> dict[str, Any]:
        """The questionnaire's fields as answered (what ``survey.answered`` and the response carry)."""
        return {k: v for k, v in self.to_doc().items() if k in ("csat", "solved", "nps", "comment")}


class AnswerLink(Stored):
    """An owner's single-use answer link (``_id``: the token's SHA-256; the token itself is never stored)."""

    id: str = Field(alias="_id")
    survey_id: str
    expires_at: datetime
    created_at: datetime | None = None


def month_of(at: datetime) -> str:
    return at.astimezone(CHINA).strftime("%Y-%m")


def check_link(link: AnswerLink | None, used: bool, survey: Survey | None, now: datetime) -> tuple[AnswerLink, Survey]:
    """The link and its survey when the link may answer; NotFound, Gone (expired, used) or Conflict (answered)."""
    if link is None:
        raise NotFound("no such link")
    if link.expires_at <= now:
        raise Gone("this link has expired")
    if used:
        raise Gone("this link has been used")
    if survey is None:
        raise NotFound("no such link")
    if survey.status == "answered":
        raise Conflict("this survey has been answered already")
    return link, survey


def check_open(survey: Survey) -> datetime:
    """A new link is for an open survey's current attempt: until it expires."""
    if survey.status != "open" or survey.expires_at is None:
        raise Conflict(f"survey {survey.id} is {survey.status}, not open for answers")
    return survey.expires_at


def answer_of(survey: Survey, customer_id: str | None, fields: dict[str, Any], by: str,
              via: Literal["agent", "link"], now: datetime) -> SurveyAnswer:
    """The answer to record (``fields``: the questionnaire's, checked); Conflict when nobody can be credited."""
    if not customer_id:
        raise Conflict("the survey's customer is not known yet; try again when the case is")
    return SurveyAnswer(
        id=survey.id, survey_id=survey.id, kind=survey.kind, customer_id=customer_id, case_id=survey.case_id,
        campaign_id=survey.campaign_id, project=survey.project, department=survey.department, month=month_of(now),
        by=by, via=via, attempt=survey.attempt, answered_at=now, **fields,
    )
