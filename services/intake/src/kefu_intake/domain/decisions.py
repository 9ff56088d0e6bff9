"""The intake decider: a batch of calls and the state they touch in, decisions and the writes they need out.

Pure: no store, no broker, no clock (``now`` is given). The use case (``contacts.py``)
reads the state once per collection, calls ``decide``, writes what it returns in bulk
and publishes. Calls are decided in batch order against state that each decision
updates in memory, so two calls of one caller in one batch behave exactly as they
would one after the other (the second about the same problem follows up the first).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from kefu_contracts import CallReceived, derived_event_id

from .classification import classify
from .handover import handover_for
from .identity import CallerIdentity, UnidentifiableCaller, identify
from .problems import is_follow_up, problem_key
from .records import Classification, ContactRecord, Customer, OpenProblem

RECENT_DECISIONS = 50  # per problem; far more than one caller's calls about one problem in a batch


@dataclass(frozen=True)
class Prepared:
    """A call with what can be known of it without the store: who is calling, what it is about."""

    call: CallReceived
    identity: CallerIdentity | None = None
    error: str | None = None  # why the call cannot be taken (no usable phone, email or customer id)
    prop: dict[str, Any] | None = None
    classification: Classification | None = None


def prepare(calls: list[CallReceived]) -> list[Prepared]:
    out = []
    for call in calls:
        try:
            identity = identify(call.caller)
        except UnidentifiableCaller as exc:
            out.append(Prepared(call, error=str(exc)))
            continue
        text = "\n".join(part for part in (call.subject, call.body) if part)
        result = classify(text, call.kind.value if call.kind else None)
        out.append(Prepared(
            call, identity, prop=call.property.model_dump(exclude_none=True) if call.property else None,
            classification=Classification(kind=result.kind, by="agent" if call.kind else "rules",
                                          category=result.category, urgent_flags=list(result.urgent_flags),
                                          rules=list(result.rules)),
        ))
    return out


@dataclass
class IntakeState:
    """What the store knows that the batch needs: recorded contacts, key owners, open problems."""

    recorded: dict[str, ContactRecord] = field(default_factory=dict)  # by call event_id
    owners: dict[str, str] = field(default_factory=dict)  # identity key -> customer id
    problems: dict[str, OpenProblem] = field(default_factory=dict)  # by problem key


@dataclass(frozen=True)
class Outcome:
    """What became of one call: its contact (new or recorded before), or why it was rejected."""

    call: CallReceived
    contact: ContactRecord | None = None
    rejected: str | None = None
    repeat: bool = False  # recorded before (a redelivery) or earlier in this batch


@dataclass
class Decisions:
    outcomes: list[Outcome] = field(default_factory=list)  # one per call, in batch order
    customers: list[Customer] = field(default_factory=list)  # created by this batch
    keys: dict[str, str] = field(default_factory=dict)  # identity keys linked by this batch -> customer id
    properties: list[dict[str, Any]] = field(default_factory=list)  # (customer, property) links seen
    new_problems: list[OpenProblem] = field(default_factory=list)  # to insert (claim the problem key)
    changed_problems: list[tuple[OpenProblem, int]] = field(default_factory=list)  # (new state, rev read)
    contacts: list[ContactRecord] = field(default_factory=list)  # to insert


def customer_for(identity: CallerIdentity, owners: dict[str, str]) -> str:
    """The strongest known key decides the customer; a caller with no known key is a new customer."""
    return next((owners[k] for k in identity.keys if k in owners), None) or identity.new_customer_id()


def problem_keys(prepared: list[Prepared], state: IntakeState) -> set[str]:
    """The problem keys the batch's new calls touch, given the key owners read (to read their problems)."""
    owners = dict(state.owners)
    keys = set()
    for p in prepared:
        if p.identity is None or p.call.event_id in state.recorded:
            continue
        customer_id = customer_for(p.identity, owners)
        owners.update({k: customer_id for k in p.identity.keys if k not in owners})
        assert p.classification is not None
        keys.add(problem_key(customer_id, p.prop, p.classification.kind, p.classification.category))
    return keys


def decide(prepared: list[Prepared], state: IntakeState, *, register: dict[str, datetime], window: timedelta,
           now: datetime) -> Decisions:
    """Decide every call in order; ``state`` is not changed (the decider works on its own copies)."""
    out = Decisions()
    owners = dict(state.owners)
    problems = dict(state.problems)
    read_rev = {key: problem.rev for key, problem in state.problems.items()}
    touched: dict[str, OpenProblem] = {}
    decided: dict[str, ContactRecord] = dict(state.recorded)
    created: set[str] = set()
    linked: set[str] = set()
    for p in prepared:
        call = p.call
        if call.event_id in decided:
            out.outcomes.append(Outcome(call, decided[call.event_id], repeat=True))
            continue
        if p.identity is None:
            out.outcomes.append(Outcome(call, rejected=p.error))
            continue
        assert p.classification is not None
        customer_id = customer_for(p.identity, owners)
        if not any(k in owners for k in p.identity.keys) and customer_id not in created:
            created.add(customer_id)
            out.customers.append(Customer(id=customer_id, name=call.caller.name, created_at=call.occurred_at))
        for key in p.identity.keys:
            if key not in owners:
                owners[key] = out.keys[key] = customer_id
        if p.prop:
            link_id = "|".join([customer_id, p.prop["project"], p.prop.get("building") or "", p.prop.get("unit") or ""])
            if link_id not in linked:
                linked.add(link_id)
                out.properties.append({"_id": link_id, "customer_id": customer_id, **p.prop, "since": call.occurred_at})

        key = problem_key(customer_id, p.prop, p.classification.kind, p.classification.category)
        case_id, follow_up, problem = _case_for(call, problems.get(key), key, window)
        if problem is not None:
            problems[key] = touched[key] = problem
        contact = ContactRecord(
            id=call.event_id, customer_id=customer_id, caller_name=call.caller.name, channel=call.channel.value,
            received_at=call.occurred_at, recorded_at=now, property=p.prop, subject=call.subject, body=call.body,
            external_ref=call.external_ref, agent_id=call.agent_id, classification=p.classification,
            case_id=case_id, follow_up=follow_up, problem_key=key, handover_date=handover_for(register, p.prop),
            correlation_id=call.correlation_id or call.event_id,
        )
        decided[call.event_id] = contact
        out.contacts.append(contact)
        out.outcomes.append(Outcome(call, contact))
    for key, problem in touched.items():
        if key in read_rev:
            out.changed_problems.append((problem, read_rev[key]))
        else:
            out.new_problems.append(problem)
    return out


def _case_for(call: CallReceived, known: OpenProblem | None, key: str,
              window: timedelta) -> tuple[str, bool, OpenProblem | None]:
    """(case id, is it a follow-up, the problem's new state or None if unchanged) for one call."""
    new_case_id = derived_event_id("case", call.event_id)
    at = call.occurred_at
    if known is not None:
        taken = dict(known.recent).get(call.event_id)
        if taken is not None:  # this call was decided before (a retried batch): the same decision again
            return taken, taken != new_case_id, None
        if known.case_id == new_case_id:  # its own case (a state written before ``recent`` existed)
            return new_case_id, False, None
    if known is not None and is_follow_up({"open": known.open, "last_contact_at": known.last_contact_at}, at, window):
        recent = [*known.recent, (call.event_id, known.case_id)][-RECENT_DECISIONS:]
        state = known.model_copy(update={"last_contact_at": max(known.last_contact_at, at), "recent": recent})
        return known.case_id, True, state
    recent = [*(known.recent if known else []), (call.event_id, new_case_id)][-RECENT_DECISIONS:]
    state = OpenProblem(id=key, case_id=new_case_id, open=True, opened_at=at, last_contact_at=at, recent=recent,
                        rev=known.rev if known else 0)
    return new_case_id, False, state
