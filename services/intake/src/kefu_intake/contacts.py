"""The use case: a contact arrives; record it, find its customer, classify it, open its case.

Decisions are stored with the contact before anything is published, and the
published ``case.opened`` is built from the stored contact: a redelivered call
(or a process killed after the write and before the publish) republishes the
same event with the same id, which downstream consumers drop as a repeat.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from kefu_contracts import CallReceived, CaseFollowedUp, CaseOpened, derived_event_id
from kefu_kit import BadMessage

from .adapters.store import ContactLog, CustomerArchive, ProblemIndex, PropertyRegister
from .domain.classification import classify
from .domain.handover import handover_for
from .domain.problems import is_follow_up, problem_key
from .domain.identity import UnidentifiableCaller, identify


async def receive_call(
    call: CallReceived, archive: CustomerArchive, contacts: ContactLog, problems: ProblemIndex,
    register: PropertyRegister, follow_up_window: timedelta,
) -> CaseOpened | CaseFollowedUp:
    """Record ``call`` (once) and return the event it leads to: a new case, or a follow-up of an open one."""
    try:
        identity = identify(call.caller)
    except UnidentifiableCaller as exc:
        raise BadMessage(str(exc)) from exc
    prop = call.property.model_dump(exclude_none=True) if call.property else None
    # Idempotent side effects first (a redelivery repeats them harmlessly), then the
    # contact insert, which decides: a duplicate returns the first delivery's decisions.
    customer_id = await archive.find_or_create(identity, name=call.caller.name, prop=prop, seen_at=call.occurred_at)
    text = "\n".join(part for part in (call.subject, call.body) if part)
    result = classify(text, call.kind.value if call.kind else None)
    # A redelivery finds its own case id in the problem index (or its follow-up decision in the
    # stored contact below), so none of this decides anything twice.
    key = problem_key(customer_id, prop, result.kind, result.category)
    new_case_id = derived_event_id("case", call.event_id)
    known = await problems.claim(key, new_case_id, call.occurred_at)
    follow_up = is_follow_up(known, call.occurred_at, follow_up_window) and known["case_id"] != new_case_id
    if follow_up:
        await problems.touched(key, call.occurred_at)
    elif known is not None and known["case_id"] != new_case_id:
        await problems.restart(key, new_case_id, call.occurred_at)
    contact: dict[str, Any] = {
        "_id": call.event_id,
        "customer_id": customer_id,
        "caller_name": call.caller.name,
        "channel": call.channel.value,
        "received_at": call.occurred_at,
        "recorded_at": datetime.now(timezone.utc),
        "property": prop,
        "subject": call.subject,
        "body": call.body,
        "external_ref": call.external_ref,
        "agent_id": call.agent_id,
        "classification": {
            "kind": result.kind,
            "by": "agent" if call.kind else "rules",
            "category": result.category,
            "urgent_flags": list(result.urgent_flags),
            "rules": list(result.rules),
        },
        "case_id": known["case_id"] if follow_up else new_case_id,
        "follow_up": follow_up,
        "problem_key": key,
        "handover_date": handover_for(register.dates, prop),
        "correlation_id": call.correlation_id or call.event_id,
    }
    return _event_for(await contacts.record(contact))


def _event_for(contact: dict[str, Any]) -> CaseOpened | CaseFollowedUp:
    return _followed_up(contact) if contact.get("follow_up") else _case_opened(contact)


def _followed_up(contact: dict[str, Any]) -> CaseFollowedUp:
    cls = contact["classification"]
    return CaseFollowedUp(
        event_id=derived_event_id("case.followed_up", contact["_id"]),
        occurred_at=contact["received_at"],
        correlation_id=contact["correlation_id"],
        causation_id=contact["_id"],
        case_id=contact["case_id"],
        contact_id=contact["_id"],
        customer_id=contact["customer_id"],
        channel=contact["channel"],
        kind=cls["kind"],
        urgent_flags=cls.get("urgent_flags", []),
        subject=contact.get("subject"),
        body=contact["body"],
    )


def _case_opened(contact: dict[str, Any]) -> CaseOpened:
    cls = contact["classification"]
    prop = contact.get("property") or {}
    return CaseOpened(
        event_id=derived_event_id("case.opened", contact["_id"]),
        occurred_at=contact["received_at"],
        correlation_id=contact["correlation_id"],
        causation_id=contact["_id"],
        case_id=contact["case_id"],
        contact_id=contact["_id"],
        customer_id=contact["customer_id"],
        channel=contact["channel"],
        kind=cls["kind"],
        classified_by=cls["by"],
        category=cls.get("category"),
        urgent_flags=cls.get("urgent_flags", []),
        project=prop.get("project"),
        building=prop.get("building"),
        unit=prop.get("unit"),
        handover_date=contact.get("handover_date"),
        subject=contact.get("subject"),
        body=contact["body"],
        agent_id=contact.get("agent_id"),
    )
