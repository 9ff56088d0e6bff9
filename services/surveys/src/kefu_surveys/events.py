"""The events surveys publishes, built from a survey (``domain.surveys.Survey``).

Ids are derived from the survey and the attempt (``survey.due``) or the survey alone
(``survey.answered``: one answer per survey), so a relayed or repeated publish is the
same event and consumers drop it.
"""

from __future__ import annotations

from datetime import datetime
from collections.abc import Mapping
from typing import Any

from kefu_contracts import SurveyAnswered, SurveyCustomer, SurveyDue, derived_event_id

from .domain.surveys import Survey


def due_event_id(survey_id: str, attempt: int) -> str:
    return derived_event_id("survey.due", survey_id, str(attempt))


def survey_due(survey: Survey, attempt: int, channel: str, due_at: datetime,
               expires_at: datetime, at: datetime, answer_url: str | None = None) -> SurveyDue:
    customer = survey.customer
    return SurveyDue(
        event_id=due_event_id(survey.id, attempt),
        occurred_at=at,
        correlation_id=survey.correlation_id,
        causation_id=survey.cause_event_id,
        survey_id=survey.id,
        kind=survey.kind,
        customer=SurveyCustomer(customer_id=customer.customer_id, name=customer.name, phone=customer.phone,
                                email=customer.email),
        case_id=survey.case_id,
        questionnaire_id=survey.questionnaire_id,
        due_at=due_at,
        expires_at=expires_at,
        preferred_channel=channel,
        answer_url=answer_url,
    )


def survey_answered(survey: Survey, customer_id: str, answer: Mapping[str, Any], at: datetime) -> SurveyAnswered:
    """``answer``: the questionnaire's fields as answered (``SurveyAnswer.fields``)."""
    return SurveyAnswered(
        event_id=derived_event_id("survey.answered", survey.id),
        occurred_at=at,
        correlation_id=survey.correlation_id,
        causation_id=due_event_id(survey.id, survey.attempt),
        survey_id=survey.id,
        kind=survey.kind,
        customer_id=customer_id,
        case_id=survey.case_id,
        questionnaire_id=survey.questionnaire_id,
        csat=answer.get("csat"),
        solved=answer.get("solved"),
        nps=answer.get("nps"),
        comment=answer.get("comment"),
        answered_at=at,
        project=survey.project,
        department=survey.department,
    )
