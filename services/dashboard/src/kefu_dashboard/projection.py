"""The dashboard's read model as pure functions: events become facts, facts become a case document.

A case document keeps the compact facts of every event applied to it and
derives all its other fields from that set (``derive``), never from the order
in which the events arrived: live, one case's events interleave across topics
and partitions differently than in a replay (``kefu rebuild dashboard``), and
both must give the same document. Applying a fact twice changes nothing.

Datetimes are cut to milliseconds when they become facts, as BSON stores them,
so a document computed here equals the one read back from the store.
"""

from __future__ import annotations

from datetime import datetime, timezone
from enum import Enum
from typing import Any

from kefu_contracts import (
    CASE_ASSIGNED,
    CASE_OPENED,
    CASE_STATUS_CHANGED,
    COMPLAINT_ESCALATED,
    COMPLAINT_GROUP_CHANGED,
    REPAIR_COMPLETED,
    SURVEY_ANSWERED,
    CaseAssigned,
    CaseOpened,
    CaseStatusChanged,
    ComplaintEscalated,
    ComplaintGroupChanged,
    Event,
    RepairCompleted,
    SurveyAnswered,
)

# The topics the dashboard consumes (repair.completed: the work orders' cost, warranty and handler, for the
# quality report 质检报告).
CONSUMED = (CASE_OPENED, CASE_ASSIGNED, CASE_STATUS_CHANGED, COMPLAINT_ESCALATED, COMPLAINT_GROUP_CHANGED,
            SURVEY_ANSWERED, REPAIR_COMPLETED)

# A fact naming a case as a member of a group complaint (from the group's escalation on its lead case, or
# from complaint.group_changed, which names every member each time one joins), with the group's level.
GROUP_MEMBER = "group.member"

OPEN_STATUSES = frozenset({"opened", "assigned", "in_progress", "waiting_on_owner", "reopened"})
RESPONDED_STATUSES = frozenset({"in_progress", "waiting_on_owner", "resolved", "closed"})
GROUP_COMPLAINT = "group_complaint"

# Which event fields each kind of fact keeps: only what ``derive`` reads.
_FIELDS: dict[str, tuple[str, ...]] = {
    CASE_OPENED: ("customer_id", "kind", "category", "channel", "project", "building", "unit", "urgent_flags"),
    CASE_ASSIGNED: ("department", "assignee", "kind", "category", "project", "building", "summary",
                    "respond_by", "resolve_by", "level"),
    CASE_STATUS_CHANGED: ("status", "previous_status", "department", "assignee", "customer_id", "kind", "category",
                          "project", "building", "unit", "level", "respond_by", "resolve_by"),
    COMPLAINT_ESCALATED: ("level", "previous_level", "reason", "approver_role", "department", "project", "building",
                          "respond_by", "resolve_by", "related_case_ids", "causation_id"),
    SURVEY_ANSWERED: ("survey_id", "kind", "csat", "solved", "nps", "answered_at", "project"),
    REPAIR_COMPLETED: ("work_order_id", "department", "under_warranty", "completed_at", "project", "building",
                       "unit"),
}

# On equal times, a later step of the same change wins (routing assigns, then sets the status).
_RANK = {CASE_OPENED: 0, CASE_ASSIGNED: 1, COMPLAINT_ESCALATED: 2, CASE_STATUS_CHANGED: 3}
# Events that carry a case's department, assignee, level and deadlines.
_ROUTING = (CASE_ASSIGNED, CASE_STATUS_CHANGED, COMPLAINT_ESCALATED)


def ms(value: datetime) -> datetime:
    """``value`` in UTC, cut to the millisecond (what BSON keeps)."""
    value = value.astimezone(timezone.utc)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return ms(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _fact(topic: str, event: Event, **extra: Any) -> dict[str, Any]:
    data = {name: _plain(getattr(event, name)) for name in _FIELDS[topic]}
    fact = {"id": event.event_id, "topic": topic, "at": ms(event.occurred_at)}
    fact.update({k: v for k, v in data.items() if v is not None and v != []})
    fact.update(extra)
    return fact


def facts_of(topic: str, event: Event) -> list[tuple[str, dict[str, Any]]]:
    """The (case id, fact) pairs an event adds: usually one; a group complaint names every member."""
    if isinstance(event, (CaseOpened, CaseAssigned, CaseStatusChanged)):
        return [(event.case_id, _fact(topic, event))]
    if isinstance(event, ComplaintEscalated):
        out = [(event.case_id, _fact(topic, event))]
        if event.reason == GROUP_COMPLAINT and event.causation_id:
            member = {"id": event.event_id, "topic": GROUP_MEMBER, "at": ms(event.occurred_at),
                      "group_id": event.causation_id, "lead_case_id": event.case_id, "level": event.level}
            out += [(case_id, dict(member)) for case_id in sorted(set(event.related_case_ids) - {event.case_id})]
        return out
    if isinstance(event, ComplaintGroupChanged):
        member = {"id": event.event_id, "topic": GROUP_MEMBER, "at": ms(event.occurred_at),
                  "group_id": event.group_id, "lead_case_id": event.lead_case_id, "level": event.level}
        return [(case_id, dict(member)) for case_id in sorted(set(event.member_case_ids))]
    if isinstance(event, SurveyAnswered):
        return [(event.case_id, _fact(topic, event))] if event.case_id else []
    if isinstance(event, RepairCompleted):  # the cost as its decimal string: money is never a float
        return [(event.case_id, _fact(topic, event, cost=event.cost.amount))]
    raise TypeError(f"the dashboard does not consume {type(event).__name__}")


def answer_document(event: SurveyAnswered, case_project: str | None = None) -> dict[str, Any]:
    """The ``answers`` document of a survey answer; its project is the event's, else its case's."""
    return {
        "_id": event.survey_id, "survey_id": event.survey_id, "kind": _plain(event.kind),
        "customer_id": event.customer_id, "case_id": event.case_id, "questionnaire_id": event.questionnaire_id,
        "csat": event.csat, "solved": event.solved, "nps": event.nps, "answered_at": ms(event.answered_at),
        "project": event.project or case_project, "department": event.department,
    }


def apply(doc: dict[str, Any] | None, case_id: str, fact: dict[str, Any]) -> dict[str, Any] | None:
    """The case document with ``fact`` applied; None when it was applied already (a redelivery)."""
    facts = list((doc or {}).get("facts", []))
    if any(f["id"] == fact["id"] for f in facts):
        return None
    return derive(case_id, [*facts, fact])


def _key(fact: dict[str, Any]) -> tuple[Any, ...]:
    return fact["at"], _RANK.get(fact["topic"], 9), fact["id"]


def _latest(facts: list[dict[str, Any]], field: str, topics: tuple[str, ...] = _ROUTING) -> Any:
    """The field's value in the latest fact (of those topics) that carries it."""
    for fact in sorted(facts, key=_key, reverse=True):
        if fact["topic"] in topics and fact.get(field) is not None:
            return fact[field]
    return None


def _described(opened: dict[str, Any] | None, facts: list[dict[str, Any]], field: str) -> Any:
    """What the case is about: as opened, else as routing last described it."""
    if opened is not None and opened.get(field) is not None:
        return opened[field]
    return _latest(facts, field)


def _status_facts(facts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Facts that set a status, oldest first; on equal times a step follows the one it came from."""
    steps = [f for f in facts if f["topic"] in (CASE_OPENED, CASE_ASSIGNED, CASE_STATUS_CHANGED)]

    def status(f: dict[str, Any]) -> str:
        return f.get("status") or ("opened" if f["topic"] == CASE_OPENED else "assigned")

    def chain_depth(f: dict[str, Any]) -> int:
        same_time = {status(g): g for g in steps if g["at"] == f["at"] and g is not f}
        depth, seen, prev = 0, set(), f.get("previous_status")
        while prev in same_time and prev not in seen:
            seen.add(prev)
            depth += 1
            prev = same_time[prev].get("previous_status")
        return depth

    return sorted(({**f, "status": status(f)} for f in steps),
                  key=lambda f: (f["at"], _RANK[f["topic"]], chain_depth(f), f["id"]))


def _last_status_at(steps: list[dict[str, Any]], status: str) -> datetime | None:
    """When the case last reached ``status``, unless it was reopened after."""
    at = None
    for step in steps:
        if step["status"] == status:
            at = step["at"]
        elif step["status"] == "reopened":
            at = None
    return at


def derive(case_id: str, facts: list[dict[str, Any]]) -> dict[str, Any]:
    """The whole case document from its set of facts (the order of ``facts`` does not matter)."""
    facts = sorted(facts, key=lambda f: (f["at"], f["id"]))
    opened = next((f for f in facts if f["topic"] == CASE_OPENED), None)
    steps = _status_facts(facts)
    escalated = [f for f in facts if f["topic"] == COMPLAINT_ESCALATED]
    assigned = [f for f in facts if f["topic"] == CASE_ASSIGNED]
    groups = [(f["at"], f["id"], f["causation_id"]) for f in escalated
              if f.get("reason") == GROUP_COMPLAINT and f.get("causation_id")]
    groups += [(f["at"], f["id"], f["group_id"]) for f in facts if f["topic"] == GROUP_MEMBER]
    levels = [f["level"] for f in facts if f["topic"] in (*_ROUTING, GROUP_MEMBER) and f.get("level")]
    responded = [s["at"] for s in steps if s["status"] in RESPONDED_STATUSES]
    latest_person = [f for f in facts if f["topic"] in (CASE_ASSIGNED, CASE_STATUS_CHANGED)]
    answers = sorted((f for f in facts if f["topic"] == SURVEY_ANSWERED),
                     key=lambda f: (f["answered_at"], f["survey_id"]))
    return {
        "_id": case_id,
        "customer_id": _described(opened, facts, "customer_id"),
        "kind": _described(opened, facts, "kind"),
        "category": _described(opened, facts, "category"),
        "channel": opened.get("channel") if opened else None,
        "project": _described(opened, facts, "project"),
        "building": _described(opened, facts, "building"),
        "unit": _described(opened, facts, "unit"),
        "urgent_flags": list(opened.get("urgent_flags", [])) if opened else [],
        "opened_at": opened["at"] if opened else None,
        "department": _latest(facts, "department"),
        "assignee": max(latest_person, key=_key).get("assignee") if latest_person else None,
        "level": max(levels, default=0),
        "status": steps[-1]["status"] if steps else None,
        "respond_by": _latest(facts, "respond_by"),
        "resolve_by": _latest(facts, "resolve_by"),
        "responded_at": min(responded, default=None),
        "resolved_at": _last_status_at(steps, "resolved"),
        "closed_at": _last_status_at(steps, "closed"),
        "escalations": [
            {"event_id": f["id"], "level": f["level"], "previous_level": f.get("previous_level", 0),
             "reason": f["reason"], "approver_role": f["approver_role"], "at": f["at"],
             "related_case_ids": list(f.get("related_case_ids", []))}
            for f in sorted(escalated, key=lambda f: (f["at"], f["id"]))
        ],
        "group_id": min(groups)[2] if groups else None,
        "answers": [{"survey_id": f["survey_id"], "kind": f["kind"], "csat": f.get("csat"),
                     "solved": f.get("solved"), "nps": f.get("nps"), "answered_at": f["answered_at"]}
                    for f in answers],
        "summary": max(assigned, key=_key)["summary"] if assigned else None,
        "work_orders": [
            {"work_order_id": f["work_order_id"], "department": f["department"],
             "under_warranty": f["under_warranty"], "cost": f["cost"], "completed_at": f["completed_at"]}
            for f in sorted((f for f in facts if f["topic"] == REPAIR_COMPLETED),
                            key=lambda f: (f["completed_at"], f["work_order_id"], f["id"]))
        ],
        "facts": facts,
        "applied": sorted(f["id"] for f in facts),
    }


def is_open(case: dict[str, Any]) -> bool:
    """Not yet resolved or closed."""
    return case.get("status") in OPEN_STATUSES


def overdue(case: dict[str, Any], now: datetime) -> list[str]:
    """Which deadlines an open case has missed: "respond" (no response yet) and/or "resolve"."""
    if not is_open(case):
        return []
    missed = []
    if case.get("respond_by") and case.get("responded_at") is None and case["respond_by"] < now:
        missed.append("respond")
    if case.get("resolve_by") and case["resolve_by"] < now:
        missed.append("resolve")
    return missed
