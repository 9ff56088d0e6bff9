"""A survey as a typed value: what it asks whom, when, on which channel, how far it got, what it still owes.

One document per survey (return visit, campaign survey, event feedback) is read into
``Survey`` (``from_doc``) and written from it (``to_doc``). The document keeps exactly
the keys it had: a field the survey never had stays absent (``to_doc`` leaves out what
was not set, so no ``None`` is added), and a field this version does not know (an older
or newer writer's, the store's ``facets``) is kept as it was (``extra="allow"``).

A step (opened, retried, unreachable, answered) is a new ``Survey`` made in pure code
from the one that was read; the store writes the difference, claimed on the survey as
it was read (``SurveyStore.claim``).

Status: pending_customer → scheduled → open → answered | (retry: open again) | unreachable.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field

from .visits import Policy, first_channel, on_expiry

SurveyStatus = Literal["scheduled", "pending_customer", "open", "answered", "unreachable"]
SurveyKind = Literal["repair_return_visit", "complaint_return_visit", "periodic_satisfaction", "event_feedback"]
Channel = Literal["phone", "sms", "wechat", "email"]


class Stored(BaseModel):
    """A stored (sub)document: unknown keys kept, unset keys left out when written back."""

    model_config = ConfigDict(populate_by_name=True, extra="allow", frozen=True)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Self:
        return cls.model_validate(doc)

    def to_doc(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_unset=True)


class Contact(Stored):
    """Whom a survey asks: the customer and how to reach them (what was known when it was sent)."""

    customer_id: str | None = None
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    wechat_openid: str | None = None


class Missed(Stored):
    """An attempt nobody answered before it expired."""

    attempt: int
    channel: Channel | None = None
    expired_at: datetime | None = None


class OwedDue(Stored):
    """The ``survey.due`` a survey still owes (``kefu_kit.outbox`` encoding), dropped once published."""

    id: str = Field(alias="_id")  # the event's id
    topic: str
    event: dict[str, Any]
    send_at: datetime
    sent: bool = False
    campaign_id: str | None = None


class SurveyFields(Stored):
    """A survey's own fields: what it is, whom it asks, when, on which channel, how far it got."""

    id: str = Field(alias="_id")
    kind: SurveyKind
    questionnaire_id: str
    status: SurveyStatus
    customer: Contact = Field(default_factory=Contact)
    case_id: str | None = None
    work_order_id: str | None = None
    campaign_id: str | None = None
    activity_id: str | None = None
    project: str | None = None
    department: str | None = None
    level: int | None = None
    due_at: datetime
    expires_at: datetime | None = None
    attempt: int = 1
    channel: Channel | None = None
    unreachable: list[Missed] = []
    correlation_id: str
    cause_event_id: str
    created_at: datetime | None = None
    opened_at: datetime | None = None
    answered_at: datetime | None = None


class Survey(SurveyFields):
    """The stored survey: its fields and the ``survey.due`` it owes, if any (``outbox``)."""

    outbox: OwedDue | None = None

    # --- its steps (each a new survey; the store writes what changed) ---

    def with_customer(self, customer_id: str) -> Survey:
        """A visit that waited for its case's customer can go out when due."""
        return self._step(status="scheduled", customer=Contact(customer_id=customer_id))

    def opened(self, customer: Contact, channel: Channel, expires_at: datetime, at: datetime) -> Survey:
        """Its first attempt goes out on ``channel`` to ``customer`` (as known now)."""
        return self._step(status="open", customer=customer, channel=channel, expires_at=expires_at, opened_at=at)

    def retried(self, channel: Channel, expires_at: datetime) -> Survey:
        """The attempt expired: the next one goes out on another channel."""
        return self._step(status="open", attempt=self.attempt + 1, channel=channel, expires_at=expires_at,
                          unreachable=[*self.unreachable, self.missed()])

    def given_up(self) -> Survey:
        """The last attempt expired: unreachable for good."""
        return self._step(status="unreachable", unreachable=[*self.unreachable, self.missed()])

    def answered(self, at: datetime | None = None) -> Survey:
        """Answered (at ``at``; None when an answer was found that another writer recorded)."""
        return self._step(status="answered") if at is None else self._step(status="answered", answered_at=at)

    def owing(self, entry: OwedDue) -> Survey:
        """The step carries the ``survey.due`` it owes, written with it."""
        return self._step(outbox=entry)

    def missed(self) -> Missed:
        return Missed(attempt=self.attempt, channel=self.channel, expired_at=self.expires_at)

    def _step(self, **fields: Any) -> Survey:
        return self.model_copy(update=fields)


def first_attempt(survey: Survey, customer: Contact, policy: Policy, window: timedelta, now: datetime) -> Survey:
    """A due survey opens: on the first channel the known contact allows (an agent phones when none does),
    for ``window``."""
    return survey.opened(customer, first_channel(survey.kind, customer, policy), now + window, now)


def after_expiry(survey: Survey, policy: Policy, window: timedelta, now: datetime) -> Survey:
    """An open survey nobody answered in time: retried once on the next channel, then unreachable."""
    if survey.channel is None:
        raise ValueError(f"survey {survey.id} expired without a channel")
    decision = on_expiry(survey.attempt, survey.channel, policy)
    if decision.outcome == "unreachable" or decision.channel is None:
        return survey.given_up()
    return survey.retried(decision.channel, now + window)


def campaign_survey(survey_id: str, campaign_id: str, questionnaire_id: str, project: str, customer: Contact,
                    slot: datetime, window: timedelta, policy: Policy, now: datetime) -> Survey:
    """A campaign's survey of one owner, open from its send slot (it is published then) for ``window``."""
    kind: SurveyKind = "periodic_satisfaction"
    return Survey(
        id=survey_id, kind=kind, questionnaire_id=questionnaire_id, campaign_id=campaign_id,
        customer=customer, project=project, department=None, due_at=slot, expires_at=slot + window, attempt=1,
        status="open", channel=first_channel(kind, customer, policy), correlation_id=campaign_id,
        cause_event_id=campaign_id, unreachable=[], created_at=now,
    )
