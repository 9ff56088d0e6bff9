"""The use case: a batch of contacts arrives; record them, find their customers, open or follow up their cases.

I/O at the edges, decisions in the middle: the state the batch needs is read with
one query per collection (recorded contacts, identity-key owners, open problems),
``domain.decisions.decide`` decides every call in order in memory, and the writes
go out in bulk, in an order that makes a retry safe: customers before their identity
keys (a key names a customer that exists), problems beside them, and last the
contacts, which hold the decisions. Events
are built from the stored contacts: a redelivered call (or a batch killed after its
writes and before its publishes) republishes the same event with the same id, which
downstream consumers drop as a repeat. Identity keys are linked all or none per batch
(``CustomerArchive.linking``), so two instances racing on one caller never split them.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from kefu_contracts import CallReceived, CaseFollowedUp, CaseOpened, derived_event_id
from kefu_kit import Batch, BadMessage

from .adapters.store import ContactLog, CustomerArchive, ProblemIndex, PropertyRegister
from .domain.decisions import IntakeState, decide, prepare, problem_keys
from .domain.records import ContactRecord


class CallIntake:
    """Handles batches of ``call.received`` (see the module docstring)."""

    def __init__(self, archive: CustomerArchive, contacts: ContactLog, problems: ProblemIndex,
                 register: PropertyRegister, follow_up_window: timedelta) -> None:
        self.archive, self.contacts, self.problems, self.register = archive, contacts, problems, register
        self.window = follow_up_window

    async def handle(self, batch: Batch[CallReceived]) -> None:
        prepared = prepare(batch.events_in)
        identity_keys = {key for p in prepared if p.identity for key in p.identity.keys}
        recorded, owners = await asyncio.gather(
            self.contacts.recorded(p.call.event_id for p in prepared), self.archive.owners(identity_keys))
        state = IntakeState(recorded=recorded, owners=owners)
        state.problems = await self.problems.load(problem_keys(prepared, state))

        decisions = decide(prepared, state, register=self.register.dates, window=self.window,
                           now=datetime.now(timezone.utc))

        # The keys the batch links are claimed and checked still unknown before anything is written: a key
        # linked meanwhile by another instance is a ConcurrentChange, the batch is read and decided again.
        # Then the archive and the problems, which do not depend on each other (a retry re-derives the same
        # customer ids and finds its own problem decisions); the contacts, which hold the decisions, go last.
        async with self.archive.linking(decisions.keys):
            await asyncio.gather(self.archive.record(decisions.customers, decisions.keys, decisions.properties),
                                 self.problems.write(decisions.new_problems, decisions.changed_problems))
        stored = await self.contacts.record_many(decisions.contacts)
        for item, outcome in zip(batch.items, decisions.outcomes, strict=True):
            if outcome.contact is None:
                batch.reject(item, BadMessage(outcome.rejected or "rejected"))
            else:
                batch.publish(event_for(stored.get(outcome.contact.id, outcome.contact)))


def event_for(contact: ContactRecord) -> CaseOpened | CaseFollowedUp:
    """The event a recorded contact leads to; its id is derived from the contact, so a repeat is the same event."""
    return _followed_up(contact) if contact.follow_up else _case_opened(contact)


def _followed_up(contact: ContactRecord) -> CaseFollowedUp:
    cls = contact.classification
    return CaseFollowedUp(
        event_id=derived_event_id("case.followed_up", contact.id),
        occurred_at=contact.received_at,
        correlation_id=contact.correlation_id,
        causation_id=contact.id,
        case_id=contact.case_id,
        contact_id=contact.id,
        customer_id=contact.customer_id,
        channel=contact.channel,
        kind=cls.kind,
        urgent_flags=cls.urgent_flags,
        subject=contact.subject,
        body=contact.body,
    )


def _case_opened(contact: ContactRecord) -> CaseOpened:
    cls = contact.classification
    prop = contact.property or {}
    return CaseOpened(
        event_id=derived_event_id("case.opened", contact.id),
        occurred_at=contact.received_at,
        correlation_id=contact.correlation_id,
        causation_id=contact.id,
        case_id=contact.case_id,
        contact_id=contact.id,
        customer_id=contact.customer_id,
        channel=contact.channel,
        kind=cls.kind,
        classified_by=cls.by,
        category=cls.category,
        urgent_flags=cls.urgent_flags,
        project=prop.get("project"),
        building=prop.get("building"),
        unit=prop.get("unit"),
        handover_date=contact.handover_date,
        subject=contact.subject,
        body=contact.body,
        agent_id=contact.agent_id,
    )
