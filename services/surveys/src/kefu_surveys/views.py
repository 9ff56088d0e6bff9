"""What the surveys API answers: one pydantic model per body (documented in OpenAPI), and contact masking.

Bodies may gain fields but never lose or rename one (outside programs read them), so the stored survey is
shown with ``extra="allow"``: a field the store adds later still reaches the client. The survey and the
answer are the domain's own models (``domain.surveys``, ``domain.answering``), shown as they are. A
survey's contact details (name, phone, e-mail, WeChat id) go in clear only to roles with
``Principal.sees_pii``; the data analyst counts surveys and gets them masked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from kefu_kit.auth import Principal
from kefu_kit.masking import mask_value
from pydantic import BaseModel, Field

from .adapters.store import HIDDEN
from .domain.answering import AnswerFields
from .domain.surveys import Contact, Missed, Survey, SurveyFields, SurveyKind, SurveyStatus

__all__ = ["CampaignView", "Contact", "Link", "LinkForm", "ListedQuestionnaire", "Missed", "ProjectCampaigns",
           "Recorded", "Results", "SurveyKind", "SurveyStatus", "SurveyView", "contact_for", "survey_for"]


class SurveyView(SurveyFields):
    """A survey as stored (bookkeeping left out); contact masked for roles without PII rights. Routes answer
    with ``exclude_unset``: a field the survey lacks stays absent, as it always was (not null)."""


class Recorded(AnswerFields):
    """The answer as recorded: the fields the survey's questionnaire asks for."""

    survey_id: str
    event_id: str


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


def survey_for(survey: Survey, who: Principal) -> dict[str, Any]:
    """The survey as ``who`` may see it: as stored, without the store's bookkeeping, its contact masked
    for roles without PII rights."""
    shown = {k: v for k, v in survey.to_doc().items() if k not in HIDDEN}
    if "customer" not in shown or who.sees_pii:
        return shown
    return {**shown, "customer": contact_for(shown["customer"], who)}
