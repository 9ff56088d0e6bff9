"""Survey events: ``survey.due`` (a visit or survey should be made now) and ``survey.answered``."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from .envelope import DerivedEvent


class SurveyKind(StrEnum):
    REPAIR_RETURN_VISIT = "repair_return_visit"
    COMPLAINT_RETURN_VISIT = "complaint_return_visit"
    PERIODIC_SATISFACTION = "periodic_satisfaction"
    EVENT_FEEDBACK = "event_feedback"


class PreferredChannel(StrEnum):
    PHONE = "phone"
    SMS = "sms"
    WECHAT = "wechat"
    EMAIL = "email"


class SurveyCustomer(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    customer_id: str | None = None
    name: str | None = None
    phone: str | None = None
    email: str | None = None


class SurveyDue(DerivedEvent):
    """Key: ``customer_id``."""

    survey_id: str
    kind: SurveyKind
    customer: SurveyCustomer
    case_id: str | None = None
    questionnaire_id: str
    due_at: AwareDatetime
    expires_at: AwareDatetime
    preferred_channel: PreferredChannel
    answer_url: str | None = Field(
        default=None, max_length=500,
        description="the owner's single-use, expiring link to answer on a phone (surveys' /s/{token}); "
                    "absent when an agent phones the owner")

    def kafka_key(self) -> str:
        return self.customer.customer_id or self.survey_id


class SurveyAnswered(DerivedEvent):
    """A return visit or survey was answered. Key: ``customer_id``. (kefu extension.)"""

    survey_id: str
    kind: SurveyKind
    customer_id: str
    case_id: str | None = None
    questionnaire_id: str
    csat: Annotated[int, Field(ge=1, le=5)] | None = None
    solved: bool | None = None
    nps: Annotated[int, Field(ge=0, le=10)] | None = None
    comment: Annotated[str, StringConstraints(max_length=2000)] | None = None
    answered_at: AwareDatetime
    project: str | None = Field(default=None, description="the owner's project, when known (satisfaction per project)")
    department: str | None = Field(default=None, description="the department that handled the case, when known")

    def kafka_key(self) -> str:
        return self.customer_id
