"""Return visits (回访) owed after events: a finished repair, a closed complaint, an attended community event.

Each survey's id is derived from the event that owes it (its event id), so a
redelivery schedules nothing twice, while a second repair.completed of the same
case (routing's fix after a dissatisfied visit, with a new work order) is a new
event and owes a new visit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from kefu_contracts import CaseStatusChanged, CommunityEventAttended, RepairCompleted, derived_event_id
from kefu_kit import get_logger

from .context import Surveys
from .domain.surveys import Contact, Survey, SurveyKind
from .domain.visits import complaint_visit_due, is_complaint_closure, repair_visit_due

log = get_logger(__name__)


def _survey(kind: SurveyKind, cause_event_id: str, correlation_id: str | None, due_at: datetime, r: Surveys,
            **fields: Any) -> Survey:
    """A new survey owed by ``cause_event_id``; ``fields``: what it is about (case, project, ...), stored as given."""
    return Survey(
        id=derived_event_id("survey", cause_event_id),
        kind=kind,
        questionnaire_id=r.policy.questionnaire[kind],
        due_at=due_at,
        attempt=1,
        channel=None,
        correlation_id=correlation_id or cause_event_id,
        cause_event_id=cause_event_id,
        unreachable=[],
        **fields,
    )


async def repair_completed(event: RepairCompleted, r: Surveys, now: datetime) -> None:
    """A finished repair owes a visit; it waits for its customer when the case is not known yet."""
    case = await r.cases.get(event.case_id)
    customer_id = case["customer_id"] if case else None
    survey = _survey(
        "repair_return_visit", event.event_id, event.correlation_id,
        repair_visit_due(event.completed_at, r.repair_due_after), r,
        status="scheduled" if customer_id else "pending_customer",
        customer=Contact(customer_id=customer_id) if customer_id else Contact(),
        case_id=event.case_id, work_order_id=event.work_order_id, project=event.project,
        department=event.department, created_at=now,
    )
    if await r.surveys.add(survey):
        log.info("return visit scheduled", survey_id=survey.id, case_id=event.case_id, due_at=str(survey.due_at),
                 waiting_for_customer=customer_id is None)


async def case_status_changed(event: CaseStatusChanged, r: Surveys, now: datetime) -> None:
    """Learn the case's customer (and give it to visits waiting for it); a closed complaint owes a visit."""
    if await r.cases.learn(event.case_id, event.customer_id, event.department, event.project):
        # only a case heard of for the first time can have visits waiting (a race is settled at due time)
        await r.customers.learn(event.customer_id, {}, event.project)
        for waiting in await r.surveys.pending_for_case(event.case_id):
            await r.surveys.claim(waiting, waiting.with_customer(event.customer_id))
    if not is_complaint_closure(event.status.value, event.kind.value, event.level, event.actor):
        return
    survey = _survey(
        "complaint_return_visit", event.event_id, event.correlation_id,
        complaint_visit_due(event.occurred_at, r.complaint_due_after), r,
        status="scheduled", customer=Contact(customer_id=event.customer_id), case_id=event.case_id,
        project=event.project, department=event.department, level=event.level, created_at=now,
    )
    if await r.surveys.add(survey):
        log.info("complaint return visit scheduled", survey_id=survey.id, case_id=event.case_id)


async def community_event_attended(event: CommunityEventAttended, r: Surveys, now: datetime,
                                   due_after: timedelta) -> None:
    """An owner attended a community event: ask for feedback (event-feedback questionnaire)."""
    contact = event.contact.model_dump(exclude_none=True)
    await r.customers.learn(event.customer_id, contact, event.project)
    survey = _survey(
        "event_feedback", event.event_id, event.correlation_id, event.attended_at + due_after, r,
        status="scheduled", customer=Contact(customer_id=event.customer_id), activity_id=event.activity_id,
        project=event.project, department=None, created_at=now,
    )
    await r.surveys.add(survey)
