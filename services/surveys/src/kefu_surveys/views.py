"""What the surveys API answers: one pydantic model per body (documented in OpenAPI), and contact masking.

Bodies may gain fields but never lose or rename one (outside programs read them), so the stored survey is
shown with ``extra="allow"``: a field the store adds later still reaches the client. A survey's contact
details (name, phone, e-mail, WeChat id) go in clear only to roles with ``Principal.sees_pii``; the data
analyst counts surveys and gets them masked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from kefu_kit.auth import Principal
from kefu_kit.masking import mask_value
from pydantic import BaseModel, ConfigDict, Field

SurveyStatus = Literal["scheduled", "pending_customer", "open", "answered", "unreachable"]
SurveyKind = Literal["repair_return_visit", "complaint_return_visit", "periodic_satisfaction", "event_feedback"]


class Contact(BaseModel):
    model_config = ConfigDict(extra="allow")
    customer_id: str | None = None
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    wechat_openid: str | None = None


class Missed(BaseModel):
    model_config = ConfigDict(extra="allow")
    attempt: int
    channel: str | None = None
    expired_at: datetime | None = None


class SurveyView(BaseModel):
    """A survey as stored (bookkeeping left out); contact masked for roles without PII rights. Routes answer
    with ``exclude_unset``: a field the survey lacks stays absent, as it always was (not null)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    id: str = Field(alias="_id")
    kind: str
    questionnaire_id: str | None = None
    status: str
    customer: Contact | None = None
    case_id: str | None = None
    campaign_id: str | None = None
    project: str | None = None
    department: str | None = None
    due_at: datetime | None = None
    expires_at: datetime | None = None
    attempt: int | None = None
    channel: str | None = None
    unreachable: list[Missed] = []
    answered_at: datetime | None = None
    created_at: datetime | None = None


class Recorded(BaseModel):
    """The answer as recorded: the fields the survey's questionnaire asks for."""

    survey_id: str
    event_id: str
    csat: int | None = None
    nps: int | None = None
    solved: bool | None = None
    comment: str | None = None


class Link(BaseModel):
    token: str = Field(description="the credential: only its SHA-256 is stored")
    url: str
    expires_at: datetime


class QuestionView(BaseModel):
    field: str
    text: str
    required: bool


class QuestionnaireView(BaseModel):
    id: str
    title: str
    questions: list[QuestionView]


class ListedQuestionnaire(QuestionnaireView):
    kinds: list[str]


class LinkForm(BaseModel):
    """What the owner's link shows: the questionnaire to fill in."""

    survey_id: str
    kind: str
    case_id: str | None = None
    expires_at: datetime
    questionnaire: QuestionnaireView


class StateChange(BaseModel):
    at: datetime
    state: str


class CampaignView(BaseModel):
    campaign_id: str
    name: str
    project: str
    questionnaire_id: str
    rate_per_minute: float
    total: int
    state: Literal["running", "paused", "done"]
    created_at: datetime
    history: list[StateChange]
    claimed: int
    published: int
    answered: int


class ProjectCampaigns(BaseModel):
    project: str
    last_started_at: datetime | None = None
    next_due_by: datetime
    overdue: bool
    campaigns: list[CampaignView]


class Summary(BaseModel):
    answers: int
    csat_answers: int
    nps_answers: int
    satisfaction_rate: float | None = None
    nps: float | None = None
    target: float
    meets_target: bool | None = None


class Group(Summary):
    project: str | None = None
    department: str | None = None
    month: str


class Results(BaseModel):
    filters: dict[str, str] = Field(description="the filters given (month, project, department), only those")
    overall: Summary
    groups: list[Group]


def contact_for(customer: dict[str, Any] | None, who: Principal) -> dict[str, Any] | None:
    """The contact as ``who`` may see it: in clear with PII rights, else each detail masked whole
    (the customer id is a key, not a contact detail: analysts count by it)."""
    if not customer or who.sees_pii:
        return customer
    # a sensitive key makes mask_value mask the whole value (a name has no shape mask_text would find)
    return {k: v if k == "customer_id" or not isinstance(v, str) else mask_value("tel", v)
            for k, v in customer.items()}


def survey_for(survey: dict[str, Any], who: Principal) -> dict[str, Any]:
    if "customer" not in survey or who.sees_pii:
        return survey
    return {**survey, "customer": contact_for(survey["customer"], who)}
