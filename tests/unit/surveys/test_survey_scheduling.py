"""Due scheduling, decided on in-memory surveys: a visit waits for its customer, opens on the channel its contact
allows when due, is retried once on the next channel when nobody answers, then is unreachable; each attempt owes
its own ``survey.due``."""

from datetime import datetime, timedelta, timezone

import pytest
from kefu_surveys.adapters.store import changes, step_filter
from kefu_surveys.domain.surveys import Contact, Missed, Survey, after_expiry, first_attempt
from kefu_surveys.domain.visits import default_policy, repair_visit_due
from kefu_surveys.events import survey_due

COMPLETED = datetime(2026, 5, 1, 8, 0, tzinfo=timezone.utc)
DUE = repair_visit_due(COMPLETED, timedelta(hours=24))
WINDOW = timedelta(hours=72)
POLICY = default_policy()
WAITING = Survey(id="sv-1", kind="repair_return_visit", questionnaire_id="return-visit-v1", due_at=DUE, attempt=1,
                 channel=None, correlation_id="call-1", cause_event_id="rep-1", unreachable=[],
                 status="pending_customer", customer=Contact(), case_id="K1", work_order_id="W1",
                 project="滨江花园", department="engineering", created_at=COMPLETED)


def test_a_visit_waiting_for_its_customer_is_scheduled_once_the_case_is_known() -> None:
    scheduled = WAITING.with_customer("C1")
    assert (scheduled.status, scheduled.customer) == ("scheduled", Contact(customer_id="C1"))
    assert changes(WAITING, scheduled) == {"status": "scheduled", "customer": {"customer_id": "C1"},
                                           "facets": changes(WAITING, scheduled)["facets"]}
    assert step_filter(WAITING) == {"_id": "sv-1", "status": "pending_customer", "attempt": 1}


def test_a_due_visit_opens_on_the_channel_its_contact_allows_for_its_answer_window() -> None:
    now = DUE + timedelta(seconds=3)
    customer = Contact(customer_id="C1", name="王先生", phone="13900000001")
    opened = first_attempt(WAITING.with_customer("C1"), customer, POLICY, WINDOW, now)
    assert (opened.status, opened.channel, opened.attempt) == ("open", "phone", 1)
    assert (opened.expires_at, opened.opened_at, opened.customer) == (now + WINDOW, now, customer)
    assert opened.due_at == DUE and opened.unreachable == []
    no_contact = first_attempt(WAITING, Contact(), POLICY, WINDOW, now)
    assert no_contact.channel == "phone" and no_contact.customer == Contact(), "nobody known: an agent phones"
    survey = WAITING.model_copy(update={"kind": "periodic_satisfaction"})
    assert first_attempt(survey, Contact(customer_id="C2", email="a@b.cn"), POLICY, WINDOW, now).channel == "email"


def test_the_first_attempt_owes_a_survey_due_for_its_due_time() -> None:
    now = DUE + timedelta(seconds=3)
    opened = first_attempt(WAITING, Contact(customer_id="C1", phone="13900000001", wechat_openid="o-1"), POLICY,
                           WINDOW, now)
    event = survey_due(opened, opened.attempt, opened.channel, opened.due_at, opened.expires_at, now)
    assert (event.survey_id, event.kind, event.case_id, event.preferred_channel) == (
        "sv-1", "repair_return_visit", "K1", "phone")
    assert event.customer.model_dump() == {"customer_id": "C1", "name": None, "phone": "13900000001", "email": None}
    assert (event.due_at, event.expires_at, event.causation_id, event.correlation_id) == (
        DUE, now + WINDOW, "rep-1", "call-1")


def test_an_unanswered_attempt_is_retried_once_on_the_next_channel_then_unreachable() -> None:
    opened = first_attempt(WAITING, Contact(customer_id="C1", phone="13900000001"), POLICY, WINDOW, DUE)
    first_expiry = opened.expires_at
    retried = after_expiry(opened, POLICY, WINDOW, first_expiry)
    assert (retried.status, retried.attempt, retried.channel) == ("open", 2, "sms")
    assert retried.expires_at == first_expiry + WINDOW
    assert retried.unreachable == [Missed(attempt=1, channel="phone", expired_at=first_expiry)]
    gone = after_expiry(retried, POLICY, WINDOW, retried.expires_at)
    assert (gone.status, gone.attempt, gone.channel, gone.expires_at) == ("unreachable", 2, "sms", retried.expires_at)
    assert [(m.attempt, m.channel) for m in gone.unreachable] == [(1, "phone"), (2, "sms")]
    # each attempt is a step of its own: claimed as read, and its survey.due has its own id
    assert step_filter(opened)["attempt"] == 1 and step_filter(retried)["attempt"] == 2
    first = survey_due(opened, 1, "phone", DUE, first_expiry, DUE)
    second = survey_due(retried, 2, "sms", first_expiry, retried.expires_at, first_expiry)
    assert first.event_id != second.event_id and second.preferred_channel == "sms"
    assert survey_due(retried, 2, "sms", first_expiry, retried.expires_at, first_expiry) == second, "a repeat is the same"


def test_the_retry_writes_its_attempt_channel_expiry_and_what_was_missed() -> None:
    opened = first_attempt(WAITING, Contact(customer_id="C1"), POLICY, WINDOW, DUE)
    retried = after_expiry(opened, POLICY, WINDOW, opened.expires_at)
    update = changes(opened, retried)
    assert set(update) == {"attempt", "channel", "expires_at", "unreachable", "facets"}, "status stays open"
    assert update["unreachable"] == [{"attempt": 1, "channel": "phone", "expired_at": opened.expires_at}]


def test_an_answer_that_raced_the_expiry_only_marks_the_survey_answered() -> None:
    opened = first_attempt(WAITING, Contact(customer_id="C1"), POLICY, WINDOW, DUE)
    assert set(changes(opened, opened.answered())) == {"status", "facets"}


def test_a_survey_that_never_went_out_cannot_expire() -> None:
    with pytest.raises(ValueError, match="without a channel"):
        after_expiry(WAITING, POLICY, WINDOW, DUE)
