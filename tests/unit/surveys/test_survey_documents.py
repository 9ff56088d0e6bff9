"""Stored survey documents read into ``Survey`` and written back unchanged: same keys, same values, no added nulls,
unknown fields kept; a step writes only what it changed."""

from datetime import datetime, timedelta, timezone

import pytest
from kefu_contracts import derived_event_id
from kefu_surveys.adapters.store import changes, listed, survey_facets
from kefu_surveys.domain.answering import AnswerLink, SurveyAnswer
from kefu_surveys.domain.surveys import Contact, Missed, OwedDue, Survey, campaign_survey
from kefu_surveys.domain.visits import default_policy

# as the store gives them back: UTC, to the millisecond
T0 = datetime(2026, 3, 10, 2, 0, 0, 123000, tzinfo=timezone.utc)
DUE = T0 + timedelta(days=1)
OPENED = DUE + timedelta(seconds=4, milliseconds=7)
EXPIRES = OPENED + timedelta(hours=72)

PENDING_REPAIR_VISIT = {  # repair.completed before surveys knew the case's customer
    "_id": "sv-3f1c", "kind": "repair_return_visit", "questionnaire_id": "return-visit-v1", "due_at": DUE,
    "attempt": 1, "channel": None, "correlation_id": "call-1", "cause_event_id": "rep-1", "unreachable": [],
    "status": "pending_customer", "customer": {}, "case_id": "K1", "work_order_id": "W1", "project": "滨江花园",
    "department": "engineering", "created_at": T0,
    "facets": ["status=pending_customer", "kind=repair_return_visit", "case_id=K1"],
}
DUE_EVENT = {"event_id": "ev-due-1", "occurred_at": "2026-03-11T02:00:04.130000Z", "correlation_id": "call-1",
             "causation_id": "rep-1", "survey_id": "sv-3f1c", "kind": "repair_return_visit",
             "customer": {"customer_id": "C1", "name": "王先生", "phone": "+8613900000001", "email": None},
             "case_id": "K1", "questionnaire_id": "return-visit-v1", "due_at": "2026-03-11T02:00:00.123000Z",
             "expires_at": "2026-03-14T02:00:04.130000Z", "preferred_channel": "phone", "answer_url": None}
OPEN_OWING = {  # opened by the scheduler, its survey.due not yet published (the writer died)
    **PENDING_REPAIR_VISIT, "status": "open",
    "customer": {"customer_id": "C1", "name": "王先生", "phone": "+8613900000001"},
    "channel": "phone", "expires_at": EXPIRES, "opened_at": OPENED,
    "outbox": {"_id": "ev-due-1", "topic": "survey.due", "event": DUE_EVENT, "send_at": OPENED, "sent": False,
               "campaign_id": None},
}
UNREACHABLE = {  # retried once by SMS, then given up; its owed entries were dropped once published
    **{k: v for k, v in OPEN_OWING.items() if k != "outbox"}, "status": "unreachable", "attempt": 2,
    "channel": "sms", "expires_at": EXPIRES + timedelta(hours=72),
    "unreachable": [{"attempt": 1, "channel": "phone", "expired_at": EXPIRES},
                    {"attempt": 2, "channel": "sms", "expired_at": EXPIRES + timedelta(hours=72)}],
}
ANSWERED_COMPLAINT = {  # a complaint closed without a level, answered by an agent
    "_id": "sv-9a", "kind": "complaint_return_visit", "questionnaire_id": "return-visit-v1", "due_at": DUE,
    "attempt": 1, "channel": "sms", "correlation_id": "call-9", "cause_event_id": "st-9", "unreachable": [],
    "status": "answered", "customer": {"customer_id": "C9", "phone": "13900000009", "wechat_openid": "o-9"},
    "case_id": "K9", "project": "滨江花园", "department": "customer_relations", "level": None, "created_at": T0,
    "expires_at": EXPIRES, "opened_at": OPENED, "answered_at": OPENED + timedelta(hours=3),
    "facets": ["status=answered"],
}
CAMPAIGN = {  # stored with its owed survey.due by a campaign batch
    "_id": "sv-c1", "kind": "periodic_satisfaction", "questionnaire_id": "satisfaction-v1", "campaign_id": "cmp-1",
    "customer": {"customer_id": "owner-0001", "name": "业主1", "phone": "13900000001"}, "project": "滨江花园",
    "department": None, "due_at": DUE, "expires_at": DUE + timedelta(days=14), "attempt": 1, "status": "open",
    "channel": "sms", "correlation_id": "cmp-1", "cause_event_id": "cmp-1", "unreachable": [], "created_at": T0,
    "outbox": {"_id": "ev-due-c1", "topic": "survey.due", "event": {**DUE_EVENT, "survey_id": "sv-c1"},
               "send_at": DUE, "sent": False, "campaign_id": "cmp-1"},
    "facets": ["status=open", "kind=periodic_satisfaction", "campaign_id=cmp-1"],
}
EVENT_FEEDBACK = {
    "_id": "sv-e1", "kind": "event_feedback", "questionnaire_id": "event-feedback-v1", "due_at": DUE, "attempt": 1,
    "channel": None, "correlation_id": "ev-att-1", "cause_event_id": "ev-att-1", "unreachable": [],
    "status": "scheduled", "customer": {"customer_id": "C5"}, "activity_id": "act-7", "project": "滨江花园",
    "department": None, "created_at": T0,
}
FROM_ANOTHER_VERSION = {  # fields this version does not know, on the survey and on its customer
    **EVENT_FEEDBACK, "_id": "sv-x", "locale": "en", "tags": ["vip"],
    "customer": {"customer_id": "C6", "vip": True}, "unreachable": [{"attempt": 1, "channel": "sms", "note": "x"}],
}
DOCUMENTS = [PENDING_REPAIR_VISIT, OPEN_OWING, UNREACHABLE, ANSWERED_COMPLAINT, CAMPAIGN, EVENT_FEEDBACK,
             FROM_ANOTHER_VERSION]


@pytest.mark.parametrize("doc", DOCUMENTS, ids=lambda d: d["_id"])
def test_a_stored_survey_is_written_back_exactly_as_it_was_read(doc) -> None:
    survey = Survey.from_doc(doc)
    assert survey.to_doc() == doc
    assert Survey.from_doc(survey.to_doc()) == survey


def test_typed_fields_read_from_the_document() -> None:
    open_owing = Survey.from_doc(OPEN_OWING)
    assert (open_owing.id, open_owing.status, open_owing.channel, open_owing.attempt) == ("sv-3f1c", "open", "phone", 1)
    assert open_owing.customer == Contact(customer_id="C1", name="王先生", phone="+8613900000001")
    assert isinstance(open_owing.outbox, OwedDue) and open_owing.outbox.id == "ev-due-1"
    assert open_owing.outbox.campaign_id is None and open_owing.outbox.send_at == OPENED
    pending = Survey.from_doc(PENDING_REPAIR_VISIT)
    assert pending.customer.customer_id is None and pending.outbox is None and pending.expires_at is None
    assert Survey.from_doc(UNREACHABLE).unreachable[1] == Missed(attempt=2, channel="sms",
                                                                 expired_at=EXPIRES + timedelta(hours=72))
    assert Survey.from_doc(CAMPAIGN).campaign_id == "cmp-1"
    other = Survey.from_doc(FROM_ANOTHER_VERSION)
    assert other.model_extra == {"locale": "en", "tags": ["vip"]} and other.customer.model_extra == {"vip": True}


def test_a_document_lacking_what_a_survey_needs_is_refused() -> None:
    for missing in ("kind", "status", "due_at", "questionnaire_id"):
        with pytest.raises(ValueError):
            Survey.from_doc({k: v for k, v in PENDING_REPAIR_VISIT.items() if k != missing})
    with pytest.raises(ValueError):
        Survey.from_doc({**PENDING_REPAIR_VISIT, "status": "lost"})


def test_a_step_writes_only_what_it_changed_and_the_list_facets() -> None:
    read = Survey.from_doc({k: v for k, v in ANSWERED_COMPLAINT.items() if k != "answered_at"} | {"status": "open"})
    at = OPENED + timedelta(hours=5)
    update = changes(read, read.answered(at))
    assert update == {"status": "answered", "answered_at": at,
                      "facets": survey_facets({**read.to_doc(), "status": "answered"})}
    assert changes(read, read.answered()) == {"status": "answered",
                                              "facets": survey_facets({**read.to_doc(), "status": "answered"})}


def test_a_new_survey_is_stored_with_its_facets_and_nothing_it_lacks() -> None:
    survey = Survey.from_doc({k: v for k, v in PENDING_REPAIR_VISIT.items() if k != "facets"})
    doc = listed(survey)
    assert doc == {**PENDING_REPAIR_VISIT, "facets": survey_facets(PENDING_REPAIR_VISIT)}
    assert "expires_at" not in doc and "outbox" not in doc and "campaign_id" not in doc


def test_a_campaign_survey_has_the_shape_campaign_batches_always_stored() -> None:
    customer = Contact(customer_id="owner-0001", name="业主1", phone="13900000001")
    sid = derived_event_id("survey", "cmp-1", "owner-0001")
    survey = campaign_survey(sid, "cmp-1", "satisfaction-v1", "滨江花园", customer, DUE, timedelta(days=14),
                             default_policy(), T0)
    owed = OwedDue.from_doc(CAMPAIGN["outbox"])
    expected = {k: v for k, v in CAMPAIGN.items() if k != "facets"} | {"_id": sid}
    assert survey.owing(owed).to_doc() == expected


ANSWER = {  # the answers collection: the claim, its owed survey.answered, what results count
    "_id": "sv-9a", "topic": "survey.answered", "event": {"event_id": "ev-ans-9", "csat": 2}, "send_at": OPENED,
    "sent": True, "survey_id": "sv-9a", "kind": "complaint_return_visit", "customer_id": "C9", "case_id": "K9",
    "campaign_id": None, "project": "滨江花园", "department": "customer_relations", "month": "2026-03",
    "by": "agent:a-7", "via": "agent", "attempt": 1, "answered_at": OPENED, "facets": ["month=2026-03"],
    "csat": 2, "solved": False, "comment": None,
}
LINK = {"_id": "ab" * 32, "survey_id": "sv-9a", "expires_at": EXPIRES, "created_at": OPENED}


def test_answers_and_links_are_written_back_as_they_were_read() -> None:
    answer = SurveyAnswer.from_doc(ANSWER)
    assert answer.to_doc() == ANSWER
    assert answer.fields() == {"csat": 2, "solved": False, "comment": None}, "only what the questionnaire asked"
    assert answer.nps is None and "nps" not in answer.to_doc()
    assert AnswerLink.from_doc(LINK).to_doc() == LINK
