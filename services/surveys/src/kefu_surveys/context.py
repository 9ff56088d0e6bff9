"""What the surveys use cases need, gathered once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from .adapters.store import (
    AnswerStore,
    CampaignCounts,
    CampaignStore,
    CaseMap,
    CustomerStore,
    DueOutbox,
    LinkStore,
    SurveyStore,
)
from .domain.questionnaires import Questionnaire, default_questionnaires
from .domain.results import Targets, default_targets
from .domain.surveys import Survey
from .domain.visits import Policy, default_policy
from .settings import Settings


@dataclass
class Surveys:
    settings: Settings
    surveys: SurveyStore
    outbox: DueOutbox
    answers: AnswerStore
    links: LinkStore
    customers: CustomerStore
    cases: CaseMap
    campaigns: CampaignStore
    counts: CampaignCounts
    policy: Policy = field(default_factory=default_policy)
    questionnaires: dict[str, Questionnaire] = field(default_factory=default_questionnaires)
    targets: Targets = field(default_factory=default_targets)

    @property
    def repair_due_after(self) -> timedelta:
        return timedelta(seconds=self.settings.repair_visit_due_after_s)

    @property
    def complaint_due_after(self) -> timedelta:
        return timedelta(seconds=self.settings.complaint_visit_due_after_s)

    def answer_window(self, kind: str) -> timedelta:
        """Return visits are made within days; campaign and feedback surveys stay open longer."""
        visit = kind in ("repair_return_visit", "complaint_return_visit")
        s = self.settings
        return timedelta(seconds=s.visit_answer_window_s if visit else s.survey_answer_window_s)

    async def customer_id_of(self, survey: Survey) -> str | None:
        """The survey's customer; a visit still waiting for its customer looks its case up once more."""
        if survey.customer.customer_id:
            return survey.customer.customer_id
        case = await self.cases.get(survey.case_id) if survey.case_id else None
        return case["customer_id"] if case else None
