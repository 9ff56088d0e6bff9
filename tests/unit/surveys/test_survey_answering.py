"""Answering, decided on in-memory values: which link may answer (unknown, expired, used, answered), the answer
recorded (customer, month, the questionnaire's fields) and what a dissatisfied answer tells routing."""

from datetime import datetime, timedelta, timezone

import pytest
from kefu_surveys.domain.answering import (
    AnswerLink,
    Conflict,
    Gone,
    NotFound,
    answer_of,
    check_link,
    check_open,
    month_of,
)
from kefu_surveys.domain.questionnaires import default_questionnaires
from kefu_surveys.domain.surveys import Contact, Survey
from kefu_surveys.events import due_event_id, survey_answered

NOW = datetime(2026, 3, 31, 17, 30, tzinfo=timezone.utc)  # already April in Beijing
VISIT = Survey(id="sv-1", kind="repair_return_visit", questionnaire_id="return-visit-v1", status="open",
               customer=Contact(customer_id="C1", phone="13900000001"), case_id="K1", project="滨江花园",
               department="engineering", due_at=NOW - timedelta(days=1), expires_at=NOW + timedelta(days=2),
               attempt=1, channel="sms", correlation_id="call-1", cause_event_id="rep-1", unreachable=[])
LINK = AnswerLink(id="ab" * 32, survey_id="sv-1", expires_at=NOW + timedelta(days=2), created_at=NOW)


def test_a_valid_link_answers_its_open_survey() -> None:
    assert check_link(LINK, False, VISIT, NOW) == (LINK, VISIT)


def test_an_unknown_link_or_one_whose_survey_is_gone_is_not_found() -> None:
    with pytest.raises(NotFound, match="no such link"):
        check_link(None, False, None, NOW)
    with pytest.raises(NotFound, match="no such link"):
        check_link(LINK, False, None, NOW)


def test_an_expired_link_is_gone_from_its_expiry_on_even_when_it_was_also_used() -> None:
    for now in (LINK.expires_at, LINK.expires_at + timedelta(seconds=1)):
        with pytest.raises(Gone, match="expired"):
            check_link(LINK, False, VISIT, now)
    with pytest.raises(Gone, match="expired"):
        check_link(LINK, True, VISIT, LINK.expires_at)
    assert check_link(LINK, False, VISIT, LINK.expires_at - timedelta(milliseconds=1))


def test_a_used_link_is_gone() -> None:
    with pytest.raises(Gone, match="used"):
        check_link(LINK, True, VISIT, NOW)


def test_a_link_of_a_survey_an_agent_answered_is_a_conflict() -> None:
    with pytest.raises(Conflict, match="answered already"):
        check_link(LINK, False, VISIT.answered(NOW), NOW)


def test_a_new_link_is_only_for_an_open_survey_until_its_attempt_expires() -> None:
    assert check_open(VISIT) == VISIT.expires_at
    for status in ("scheduled", "pending_customer", "answered", "unreachable"):
        with pytest.raises(Conflict, match=f"is {status}, not open"):
            check_open(VISIT.model_copy(update={"status": status}))


def test_an_answer_is_recorded_with_its_customer_month_in_beijing_and_the_questionnaires_fields() -> None:
    fields = default_questionnaires()["return-visit-v1"].check({"csat": 4, "solved": True})
    answer = answer_of(VISIT, "C1", fields, "owner", "link", NOW)
    assert answer.to_doc() == {
        "_id": "sv-1", "survey_id": "sv-1", "kind": "repair_return_visit", "customer_id": "C1", "case_id": "K1",
        "campaign_id": None, "project": "滨江花园", "department": "engineering", "month": "2026-04",
        "by": "owner", "via": "link", "attempt": 1, "answered_at": NOW, "csat": 4, "solved": True, "comment": None,
    }
    assert answer.fields() == {"csat": 4, "solved": True, "comment": None} and not answer.dissatisfied
    assert month_of(datetime(2026, 3, 31, 15, 59, tzinfo=timezone.utc)) == "2026-03"


def test_an_answer_nobody_can_be_credited_with_is_refused() -> None:
    waiting = VISIT.model_copy(update={"customer": Contact()})
    with pytest.raises(Conflict, match="customer is not known"):
        answer_of(waiting, None, {"csat": 5, "solved": True}, "agent:a-1", "agent", NOW)
    assert answer_of(waiting, "C1", {"csat": 5}, "agent:a-1", "agent", NOW).customer_id == "C1", "known by its case"


@pytest.mark.parametrize(("given", "dissatisfied"), [
    ({"csat": 2, "solved": True}, True), ({"csat": 5, "solved": False}, True), ({"csat": 1, "solved": False}, True),
    ({"csat": 3, "solved": True}, False), ({"csat": 5, "solved": True}, False),
])
def test_a_dissatisfied_answer_tells_routing_which_case_and_visit_to_reopen(given, dissatisfied) -> None:
    """Surveys does nothing more on dissatisfaction: ``survey.answered`` must carry what routing reopens on."""
    retried = VISIT.retried("phone", NOW + timedelta(days=3))  # answered on its second attempt
    fields = default_questionnaires()["return-visit-v1"].check(given)
    answer = answer_of(retried, "C1", fields, "agent:a-7", "agent", NOW)
    event = survey_answered(retried, answer.customer_id, answer.fields(), NOW)
    assert answer.dissatisfied is dissatisfied and answer.attempt == 2
    assert (event.case_id, event.csat, event.solved, event.customer_id) == ("K1", given["csat"], given["solved"], "C1")
    assert event.causation_id == due_event_id("sv-1", 2), "caused by the attempt that was answered"
    assert (event.project, event.department, event.kind) == ("滨江花园", "engineering", "repair_return_visit")
    assert event.event_id == survey_answered(VISIT, "C1", fields, NOW).event_id, "one answer per survey"
