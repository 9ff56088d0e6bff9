"""One event into the store: the same code for the live service and for ``kefu rebuild dashboard``.

The order of the writes makes an answer's project right whichever of the answer
and its case's opening comes first: the answer document is inserted before the
answer reaches its case, and whoever changes the case second sees both.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from kefu_contracts import CASE_ASSIGNED, COMPLAINT_ESCALATED, TOPICS, Event, SurveyAnswered

from . import projection
from .store import CaseStore

# What a live feed entry shows of its case.
FEED_FIELDS = ("kind", "category", "project", "building", "unit", "department", "assignee", "level", "status",
               "summary", "group_id", "opened_at", "respond_by", "resolve_by", "urgent_flags")
FEED_TYPES = {CASE_ASSIGNED: "new", COMPLAINT_ESCALATED: "escalated"}


def parse(topic: str, body: bytes | str | dict[str, Any]) -> Event:
    """The contract model of a message on a logical topic (raises pydantic.ValidationError when broken)."""
    model = TOPICS[topic].model
    return model.model_validate(body) if isinstance(body, dict) else model.model_validate_json(body)


async def ingest(topic: str, event: Event, store: CaseStore, live: bool = True) -> None:
    """Apply ``event`` to the read model; live, announce new and escalated cases on the feed."""
    if isinstance(event, SurveyAnswered):
        await store.add_answer(projection.answer_document(event))
    for case_id, fact in projection.facts_of(topic, event):
        before, after = await store.apply(case_id, fact)
        await _fill_answer_projects(event, before, after, store)
        if live and case_id == getattr(event, "case_id", None) and topic in FEED_TYPES:
            await store.add_to_feed(feed_entry(topic, event, after))


async def _fill_answer_projects(event: Event, before: dict[str, Any] | None, after: dict[str, Any],
                                store: CaseStore) -> None:
    project = after.get("project")
    if not project:
        return
    if isinstance(event, SurveyAnswered) and not event.project:
        await store.fill_answer_project(event.survey_id, project)
    if not (before or {}).get("project"):  # the case just learnt its project: its earlier answers take it
        for fact in after["facts"]:
            if fact["topic"] == "survey.answered" and not fact.get("project"):
                await store.fill_answer_project(fact["survey_id"], project)


def feed_entry(topic: str, event: Event, case: dict[str, Any]) -> dict[str, Any]:
    entry = {
        "_id": event.event_id, "type": FEED_TYPES[topic], "case_id": case["_id"],
        "at": projection.ms(event.occurred_at), "recorded_at": projection.ms(datetime.now(timezone.utc)),
        "case": {k: case.get(k) for k in FEED_FIELDS},
    }
    if topic == COMPLAINT_ESCALATED:
        entry["escalation"] = {"level": event.level, "previous_level": event.previous_level,  # type: ignore[attr-defined]
                               "reason": str(event.reason.value)}  # type: ignore[attr-defined]
    return entry
