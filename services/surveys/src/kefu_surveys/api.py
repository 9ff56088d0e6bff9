"""The surveys HTTP API (OpenAPI at /docs): surveys and answers, owners' links, campaigns, results.

* agents record a phone visit: ``POST /surveys/{survey_id}/answers``;
* a link for the owner: ``POST /surveys/{survey_id}/link`` gives ``/s/{token}`` (single use,
  expires with the survey's attempt), ``GET /s/{token}`` shows the questionnaire, ``POST`` answers;
* campaigns: ``POST /campaigns``, ``GET /campaigns/{id}``, ``POST /campaigns/{id}/pause|resume``;
* results: ``GET /results?month=YYYY-MM&project=&department=``.

Who may do what (domain.md): an agent's answer to a return visit reopens and escalates the case in
routing when the owner is dissatisfied, so only those who make return visits record one (hotline agents,
customer relations); surveys are read by those who visit, handle complaints, count or manage, with the
owner's contact in clear only for roles that see personal data; customer relations run campaigns, the
managers follow them; results go to the analyst, the managers, complaint specialists and customer
relations. The owner's link is public: its single-use, expiring token is the credential.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from kefu_kit.aggregates import ConcurrentChange
from kefu_kit.aggregates import NotFound as NoAggregate
from kefu_kit.auth import MANAGERS, Principal, Role, public, require
from kefu_kit.http_errors import ERROR_RESPONSES, error_response
from kefu_kit.owner_pages import HTML_CONTENT, wants_html
from kefu_kit.pages import DEFAULT_LIMIT, MAX_LIMIT, NEXT_CURSOR, PAGE_RESPONSES, BadCursor
from pydantic import BaseModel, Field, create_model

from . import answers, campaigns, owner_page
from .context import Surveys
from .domain.answering import AnswerFields
from .domain.cadence import next_survey_due
from .domain.questionnaires import InvalidAnswer, Questionnaire, default_questionnaires
from .domain.results import results_by_group
from .views import (
    CampaignView,
    Link,
    LinkForm,
    ListedQuestionnaire,
    ProjectCampaigns,
    Recorded,
    Results,
    SurveyKind,
    SurveyStatus,
    SurveyView,
    survey_for,
)

VISITORS = (Role.HOTLINE_AGENT, Role.CUSTOMER_RELATIONS)  # who makes return visits (and answers for owners)
SURVEY_READERS = (Role.HOTLINE_AGENT, Role.COMPLAINT_SPECIALIST, Role.CUSTOMER_RELATIONS, Role.DATA_ANALYST,
                  *sorted(MANAGERS))
CAMPAIGNERS = (Role.CUSTOMER_RELATIONS,)
CAMPAIGN_READERS = (Role.CUSTOMER_RELATIONS, *sorted(MANAGERS))
RESULT_READERS = (Role.DATA_ANALYST, *sorted(MANAGERS), Role.COMPLAINT_SPECIALIST, Role.CUSTOMER_RELATIONS)
ID_MAX = 200  # ids are uuids or derived keys, far shorter; a longer one names nothing
OWNERS_MAX = 100_000

SurveyId = Annotated[str, Path(min_length=1, max_length=ID_MAX)]
CampaignId = Annotated[str, Path(min_length=1, max_length=ID_MAX)]
Token = Annotated[str, Path(min_length=1, max_length=ID_MAX, description="the token of the owner's link")]
SurveyReader = Annotated[Principal, Depends(require(*SURVEY_READERS))]
Name = Annotated[str | None, Query(max_length=100)]

ANSWER_ERRORS = {404: ERROR_RESPONSES[404], 409: error_response(409, "answered already, or its customer unknown"),
                 422: error_response(422, "invalid input, or an answer the survey's questionnaire does not take")}
LINK_ERRORS = {404: error_response(404, "no such link"), 409: error_response(409, "the survey was answered already"),
               410: error_response(410, "the link was used or has expired"),
               422: error_response(422, "invalid input, or an answer the questionnaire does not take")}
LINK_PUBLIC = public("the owner's single-use, expiring link: the token in the URL is the credential")


class Answer(AnswerFields):
    def fields(self) -> dict[str, Any]:
        return self.model_dump(include={"csat", "solved", "nps", "comment"})


class AgentAnswer(Answer):
    agent_id: str = Field(min_length=1, max_length=64, description="the agent who made the visit")
    name: str | None = Field(None, max_length=100, description="the owner's name, if the agent learned it")
    phone: str | None = Field(None, max_length=40, description="a number the owner can be reached on")
    email: str | None = Field(None, max_length=254)


class Owner(BaseModel):
    customer_id: str = Field(min_length=1, max_length=64)
    name: str | None = Field(None, max_length=100)
    phone: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=254)


def satisfaction_ids(questionnaires: dict[str, Questionnaire]) -> list[str]:
    return sorted(q.id for q in questionnaires.values() if "periodic_satisfaction" in q.kinds)


def new_campaign_model(ids: list[str]) -> type[BaseModel]:
    """The body of ``POST /campaigns``; ``questionnaire_id`` is one of the satisfaction questionnaires
    (the schema lists them: any other id is refused, so the document must say so)."""
    default = "satisfaction-v1" if "satisfaction-v1" in ids else ids[0]
    return create_model(
        "NewCampaign",
        project=(str, Field(min_length=1, max_length=100)),
        questionnaire_id=(Literal[tuple(ids)], Field(default, description="a satisfaction questionnaire")),
        rate_per_minute=(float, Field(600, gt=0, le=60000, description="surveys published per minute at most")),
        name=(str | None, Field(None, max_length=200)),
        owners=(list[Owner] | None, Field(None, min_length=1, max_length=OWNERS_MAX,
                                          description="the owners to ask; default: the project's known customers")),
    )


# The service's questionnaires are the packaged ones (``Surveys.questionnaires``); the route still refuses an id
# its context lacks, for a context built with others.
NewCampaign = new_campaign_model(satisfaction_ids(default_questionnaires()))


def _now() -> datetime:
    return datetime.now(timezone.utc)


def build_router(r: Surveys) -> APIRouter:
    router = APIRouter()
    satisfaction = satisfaction_ids(r.questionnaires)

    async def _answer(make: Any) -> dict[str, Any]:
        try:
            return await make()
        except answers.NotFound as exc:
            raise HTTPException(404, f"not found: {exc}") from exc
        except InvalidAnswer as exc:
            raise HTTPException(422, str(exc)) from exc
        except answers.Gone as exc:
            raise HTTPException(410, str(exc)) from exc
        except answers.Conflict as exc:
            raise HTTPException(409, str(exc)) from exc

    @router.get("/surveys", tags=["surveys"], response_model=list[SurveyView], response_model_exclude_unset=True,
                responses={**PAGE_RESPONSES, 422: ERROR_RESPONSES[422]})
    async def list_surveys(response: Response, who: SurveyReader, status: SurveyStatus | None = None,
                           kind: SurveyKind | None = None,
                           case_id: str | None = Query(None, max_length=ID_MAX),
                           campaign_id: str | None = Query(None, max_length=ID_MAX),
                           limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
                           cursor: str | None = Query(None, max_length=2000,
                                                      description=f"the {NEXT_CURSOR} header of the previous page"),
                           ) -> list[dict]:
        """Surveys by due time, filtered and paged in the store."""
        filters = {"status": status, "kind": kind, "case_id": case_id, "campaign_id": campaign_id}
        try:
            found, next_cursor = await r.surveys.page(filters, cursor, limit)
        except BadCursor as exc:
            raise HTTPException(422, str(exc)) from exc
        if next_cursor:
            response.headers[NEXT_CURSOR] = next_cursor
        return [survey_for(s, who) for s in found]

    @router.get("/surveys/{survey_id}", tags=["surveys"], response_model=SurveyView, response_model_exclude_unset=True,
                responses={404: ERROR_RESPONSES[404], 422: ERROR_RESPONSES[422]})
    async def get_survey(survey_id: SurveyId, who: SurveyReader) -> dict[str, Any]:
        survey = await r.surveys.get(survey_id)
        if survey is None:
            raise HTTPException(404, f"no survey {survey_id}")
        return survey_for(survey, who)

    @router.post("/surveys/{survey_id}/answers", tags=["surveys"], status_code=201, response_model=Recorded, response_model_exclude_unset=True,
                 dependencies=[Depends(require(*VISITORS))], responses=ANSWER_ERRORS)
    async def agent_answer(survey_id: SurveyId, body: AgentAnswer) -> dict[str, Any]:
        """An agent records the owner's answers from a phone return visit (a dissatisfied one reopens the case)."""
        result = await _answer(lambda: answers.record(r, survey_id, body.fields(), f"agent:{body.agent_id}",
                                                      "agent", _now()))
        survey = await r.surveys.get(survey_id)
        contact = body.model_dump(include={"name", "phone", "email"}, exclude_none=True)
        if survey and contact and survey.customer.customer_id:
            await r.customers.learn(survey.customer.customer_id, contact, survey.project)
        return result

    @router.post("/surveys/{survey_id}/link", tags=["surveys"], status_code=201, response_model=Link,
                 dependencies=[Depends(require(*VISITORS))],
                 responses={404: ERROR_RESPONSES[404], 409: error_response(409, "the survey is not open for answers"),
                            422: ERROR_RESPONSES[422]})
    async def new_link(survey_id: SurveyId) -> dict[str, Any]:
        """A single-use answer link for the owner (the channel that sends the survey asks for it)."""
        return await _answer(lambda: answers.issue_link(r, survey_id, _now()))

    @router.get("/s/{token}", tags=["owners"], response_model=LinkForm, openapi_extra=LINK_PUBLIC,
                responses={200: {"content": HTML_CONTENT}, **LINK_ERRORS})
    async def show_link(token: Token, request: Request) -> Any:
        """The questionnaire behind an owner's link: a page for a browser (Accept: text/html), JSON otherwise."""
        if wants_html(request):
            return await owner_page.show(r, token, request, _now())

        async def show() -> dict[str, Any]:
            link, survey = await answers.open_link(r, token, _now())
            return {"survey_id": survey.id, "kind": survey.kind, "case_id": survey.case_id,
                    "expires_at": link.expires_at, "questionnaire": answers.questionnaire_of(r, survey).public()}
        return await _answer(show)

    @router.post("/s/{token}", tags=["owners"], status_code=201, response_model=Recorded, response_model_exclude_unset=True, openapi_extra=LINK_PUBLIC,
                 responses=LINK_ERRORS)
    async def answer_link(token: Token, body: Answer) -> dict[str, Any]:
        """The owner answers; the link then stops working."""
        return await _answer(lambda: answers.answer_by_link(r, token, body.fields(), _now()))

    @router.get("/questionnaires", tags=["surveys"], response_model=list[ListedQuestionnaire],
                dependencies=[Depends(require(*SURVEY_READERS))])
    async def list_questionnaires() -> list[dict[str, Any]]:
        return [q.public() | {"kinds": list(q.kinds)} for q in r.questionnaires.values()]

    @router.post("/campaigns", tags=["campaigns"], status_code=201, response_model=CampaignView,
                 dependencies=[Depends(require(*CAMPAIGNERS))],
                 responses={422: error_response(422, "invalid input, or no owners given and none known for the "
                                                     "project")})
    async def new_campaign(body: NewCampaign) -> dict[str, Any]:  # type: ignore[valid-type]
        """Start a satisfaction campaign for a project's owners, published at a bounded rate."""
        if body.questionnaire_id not in satisfaction:
            raise HTTPException(422, f"{body.questionnaire_id} is not a satisfaction questionnaire")
        owners = ([o.model_dump() for o in body.owners] if body.owners is not None else
                  [{"customer_id": c["_id"], **{k: c.get(k) for k in ("name", "phone", "email")}}
                   for c in await r.customers.of_project(body.project)])
        if not owners:
            raise HTTPException(422, f"no owners given and none known for {body.project}")
        created = await campaigns.create(r, body.project, body.questionnaire_id, body.rate_per_minute, owners,
                                         _now(), body.name)
        return await campaigns.progress(r, created)

    @router.get("/campaigns", tags=["campaigns"], response_model=ProjectCampaigns,
                dependencies=[Depends(require(*CAMPAIGN_READERS))], responses={422: ERROR_RESPONSES[422]})
    async def project_campaigns(project: str = Query(min_length=1, max_length=100)) -> dict[str, Any]:
        """A project's campaigns and when the next one is due (at least every half year)."""
        found = await r.campaigns.of_project(project)
        return {"project": project, **next_survey_due([c["created_at"] for c in found], _now()),
                "campaigns": [await campaigns.progress(r, c) for c in found]}

    @router.get("/campaigns/{campaign_id}", tags=["campaigns"], response_model=CampaignView,
                dependencies=[Depends(require(*CAMPAIGN_READERS))],
                responses={404: ERROR_RESPONSES[404], 422: ERROR_RESPONSES[422]})
    async def get_campaign(campaign_id: CampaignId) -> dict[str, Any]:
        """State and progress: total owners, surveys published, answers received."""
        campaign = await r.campaigns.get(campaign_id)
        if campaign is None:
            raise HTTPException(404, f"no campaign {campaign_id}")
        return await campaigns.progress(r, campaign)

    @router.post("/campaigns/{campaign_id}/{action}", tags=["campaigns"], response_model=CampaignView,
                 dependencies=[Depends(require(*CAMPAIGNERS))],
                 responses={404: ERROR_RESPONSES[404], 422: ERROR_RESPONSES[422],
                            503: error_response(503, "a concurrent change won; retry")})
    async def pause_resume(campaign_id: CampaignId, action: Literal["pause", "resume"]) -> dict[str, Any]:
        """Pause or resume a campaign (pausing a finished one changes nothing)."""
        try:
            campaign = await campaigns.set_state(r, campaign_id, "paused" if action == "pause" else "running", _now())
        except NoAggregate as exc:
            raise HTTPException(404, f"no campaign {campaign_id}") from exc
        except ConcurrentChange as exc:
            raise HTTPException(503, str(exc), headers={"Retry-After": "1"}) from exc
        return await campaigns.progress(r, campaign)

    @router.get("/results", tags=["results"], response_model=Results,
                dependencies=[Depends(require(*RESULT_READERS))], responses={422: ERROR_RESPONSES[422]})
    async def results(month: str | None = Query(None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$"),
                      project: Name = None, department: Name = None) -> dict[str, Any]:
        """Satisfaction rate (CSAT 4-5) and NPS per project, department and month, against the 80% target."""
        filters = {k: v for k, v in {"month": month, "project": project, "department": department}.items()
                   if v is not None}
        return {"filters": filters, **results_by_group(await r.answers.of(filters), r.targets)}

    return router
