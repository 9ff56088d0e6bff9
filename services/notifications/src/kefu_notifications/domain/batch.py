"""The batch decider: from a batch of events and the state read for it, every message, notice and follow-up.

Pure: the service reads the state once per batch (owners' preferences; for
redeliveries, the messages stored first and whether their first attempt was
claimed), and writes what this module decides in bulk. Decisions of different
events do not depend on each other (no event changes what another one is told),
so a batch decides exactly what the same events would have decided one by one;
the consumption order is kept in every list (a key's events stay in their order)
and of two copies of one event in a batch (a producer retry) the first is used.

Two steps, because the second needs what the store answered to the first:
``compose`` plans, renders and times every message of the batch (recipients,
channels, templates and quiet hours are the domain's own modules); ``follow_ups``
decides, once the messages are inserted, which go to the outbox and which are
reported as failed, taking for each message already stored (a redelivery) the
stored one: what was decided first is what goes on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from kefu_contracts import (
    CaseAssigned,
    CommunityEventSignupChanged,
    ComplaintEscalated,
    Event,
    MemberJoined,
    SurveyDue,
)

from . import recipients
from .directory import StaffDirectory
from .keys import message_id
from .messages import Message, Notice
from .quiet_hours import QuietHours, send_at
from .recipients import Planned, Preference
from .status import INBOX
from .templates import TemplateBook, TemplateError, message_fields

@dataclass(frozen=True)
class Cause:
    """One event and the messages it plans: its case (for lists) and from when they may go out."""

    event: Event
    topic: str
    planned: list[Planned]
    case_id: str | None = None
    ready_at: datetime | None = None


@dataclass(frozen=True)
class Rules:
    """What composing a message needs besides the event: templates, owners' quiet hours, the zone messages
    show times in, the attempts a message gets, and the channels that have a provider."""

    templates: TemplateBook
    quiet: QuietHours | None
    zone: ZoneInfo
    max_attempts: int
    served: frozenset[str]


@dataclass
class Decisions:
    """What a batch records: its messages (one per id, in consumption order) and its notices."""

    messages: list[Message] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    message_ids: dict[str, list[str]] = field(default_factory=dict)  # cause event id -> its messages' ids


@dataclass
class FollowUps:
    """After the messages are stored: the first attempts to put in the outbox, the messages failed at once."""

    schedule: list[Message] = field(default_factory=list)
    unsendable: list[Message] = field(default_factory=list)


# --- step 0: which state a batch needs ---------------------------------------------------------------

def customer_of(event: Event) -> str | None:
    """The owner whose preference decides the channel of ``event``'s message (None: staff only)."""
    if isinstance(event, SurveyDue):
        return event.customer.customer_id
    if isinstance(event, (MemberJoined, CommunityEventSignupChanged)):
        return event.customer_id
    return None


def customers_of(events: Iterable[Event]) -> set[str]:
    return {c for e in events if (c := customer_of(e))}


# --- step 1: plan, render and time ---------------------------------------------------------------------

def cause_of(topic: str, event: Event, directory: StaffDirectory, preferences: Mapping[str, Preference]) -> Cause:
    """Who ``event`` tells what (``domain.recipients``), with the owner's preference from ``preferences``."""
    customer = customer_of(event)
    preference = preferences.get(customer) if customer else None
    if isinstance(event, CaseAssigned):
        return Cause(event, topic, recipients.for_case_assigned(event, directory), event.case_id)
    if isinstance(event, ComplaintEscalated):
        return Cause(event, topic, recipients.for_complaint_escalated(event, directory), event.case_id)
    if isinstance(event, SurveyDue):
        return Cause(event, topic, recipients.for_survey_due(event, preference), event.case_id, event.due_at)
    if isinstance(event, MemberJoined):
        return Cause(event, topic, recipients.for_member_joined(event, preference))
    if isinstance(event, CommunityEventSignupChanged):
        return Cause(event, topic, recipients.for_signup_changed(event, preference))
    raise TypeError(f"notifications has no rule for {type(event).__name__} on {topic}")


def compose(causes: Sequence[Cause], rules: Rules, now: datetime) -> Decisions:
    """Every message of ``causes`` (the first of a repeated id wins) and a notice per ``case.assigned``."""
    out = Decisions()
    seen: set[str] = set()
    for cause in causes:
        fields = message_fields(cause.event, rules.zone)
        ready = max(cause.ready_at or now, now)
        ids = []
        for plan in cause.planned:
            message = compose_message(cause, plan, fields, rules, now, ready)
            ids.append(message.id)
            if message.id not in seen:
                seen.add(message.id)
                out.messages.append(message)
        if cause.event.event_id not in out.message_ids:
            out.message_ids[cause.event.event_id] = ids
            if isinstance(cause.event, CaseAssigned):
                out.notices.append(notice_of(cause.event, ids, now))
    return out


def compose_message(cause: Cause, plan: Planned, fields: dict[str, Any], rules: Rules, now: datetime,
                    ready_at: datetime) -> Message:
    """One planned message, rendered in the recipient's language and timed (owners wait for quiet hours to end).

    A message that cannot be rendered, or whose channel no provider serves, is unsendable: recorded as failed,
    never sent empty.
    """
    event = cause.event
    quiet = rules.quiet if plan.audience == "owner" else None
    locale = subject = text = unsendable = None
    try:
        rendered = rules.templates.render(plan.template, plan.locale, {**fields, **plan.fields})
        locale, subject, text = rendered.locale, rendered.subject, rendered.body
    except TemplateError as exc:
        unsendable = str(exc)
    if plan.channel != INBOX and plan.channel not in rules.served and unsendable is None:
        unsendable = f"no provider serves channel {plan.channel!r} (settings channel_providers)"
    status = "failed" if unsendable else ("sent" if plan.channel == INBOX else "scheduled")
    return Message(
        _id=message_id(event.event_id, plan.recipient, plan.channel), cause_event_id=event.event_id,
        cause_topic=cause.topic, correlation_id=event.correlation_id or event.event_id, case_id=cause.case_id,
        recipient=plan.recipient, audience=plan.audience, channel=plan.channel, address=plan.address,
        template=plan.template, urgent=plan.urgent, ready_at=ready_at,
        send_at=send_at(ready_at, quiet, plan.urgent), max_attempts=rules.max_attempts, created_at=now,
        locale=locale, subject=subject, text=text, unsendable=unsendable, status=status,
    )


def notice_of(event: CaseAssigned, message_ids: list[str], now: datetime) -> Notice:
    recipient = f"department:{event.department}"
    return Notice(_id=message_id(event.event_id, recipient, INBOX), event_id=event.event_id,
                  correlation_id=event.correlation_id, case_id=event.case_id, recipient=recipient,
                  department=event.department, assignee=event.assignee, message_ids=message_ids, created_at=now)


# --- step 2: once stored ---------------------------------------------------------------------------------

def follow_ups(messages: Sequence[Message], stored: Mapping[str, Message], attempted: set[str]) -> FollowUps:
    """What each message needs next, given ``stored`` (the messages that existed before this batch inserted
    them: a redelivery) and ``attempted`` (the ids of stored messages whose first attempt was claimed).

    A new message that must be delivered gets its first attempt; so does a stored one whose first attempt was
    never claimed (the batch that inserted it died before its outbox write). One whose first attempt was
    claimed is the delivery loop's (re-adding it to the outbox would send it again once settled). An
    unsendable message is reported every time (the report is idempotent: same record, same event id).
    """
    out = FollowUps()
    for message in messages:
        current = stored.get(message.id, message)
        if current.unsendable:
            out.unsendable.append(current)
        elif current.needs_delivery and current.id not in attempted:
            out.schedule.append(current)
    return out
