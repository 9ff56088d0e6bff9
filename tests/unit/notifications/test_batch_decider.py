"""The batch decider over in-memory state: what a batch of events records, and what a redelivery adds."""

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from kefu_contracts import (
    CASE_ASSIGNED,
    COMMUNITY_EVENT_SIGNUP_CHANGED,
    MEMBER_JOINED,
    SURVEY_DUE,
    CaseAssigned,
    CommunityEventSignupChanged,
    MemberJoined,
    SurveyDue,
)
from kefu_notifications.domain.batch import Rules, cause_of, compose, customers_of, follow_ups
from kefu_notifications.domain.directory import parse_directory
from kefu_notifications.domain.keys import message_id
from kefu_notifications.domain.messages import Message
from kefu_notifications.domain.quiet_hours import QuietHours
from kefu_notifications.domain.recipients import Preference
from kefu_notifications.domain.templates import default_templates

SHANGHAI = ZoneInfo("Asia/Shanghai")
NIGHT = datetime(2026, 3, 10, 14, 0, tzinfo=timezone.utc)  # 22:00 in Shanghai: inside 21:00-08:00
QUIET = QuietHours(time(21), time(8), SHANGHAI)
QUIET_END = datetime(2026, 3, 11, 8, 0, tzinfo=SHANGHAI)
RULES = Rules(default_templates(), QUIET, SHANGHAI, max_attempts=5, served=frozenset({"sms", "email", "webhook"}))
DIRECTORY = parse_directory({"departments": {"engineering": {"name": "工程部", "webhook": "https://eng.example.com/h"}}})


def envelope(i: int) -> dict:
    return {"event_id": f"ev-{i}", "occurred_at": NIGHT, "correlation_id": f"call-{i}", "causation_id": f"c-{i}"}


def assigned(i: int, assignee: str | None = "eng-01") -> CaseAssigned:
    return CaseAssigned(**envelope(i), case_id=f"K{i}", department="engineering", assignee=assignee, kind="repair",
                        summary=f"漏水 {i}", rule="repair.in_warranty")


def joined(i: int, customer: str = "C1", **contact: str) -> MemberJoined:
    return MemberJoined(**envelope(i), customer_id=customer, member_id=f"M{i}", tier="regular",
                        source="application", joined_at=NIGHT,
                        contact={"name": "陈女士", "phone": "13912345678", "email": "chen@example.com", **contact})


def decide(topic: str, events: list, preferences: dict | None = None, now: datetime = NIGHT):
    causes = [cause_of(topic, e, DIRECTORY, preferences or {}) for e in events]
    return compose(causes, RULES, now)


def test_several_events_for_one_recipient_in_one_batch_each_get_their_messages_in_order() -> None:
    events = [assigned(i) for i in range(3)]
    decisions = decide(CASE_ASSIGNED, events)
    department = [m for m in decisions.messages if m.recipient == "department:engineering"]
    # each event: the department's inbox and webhook, the assignee's inbox; in consumption order
    assert [(m.cause_event_id, m.channel) for m in department] == [
        ("ev-0", "inbox"), ("ev-0", "webhook"), ("ev-1", "inbox"), ("ev-1", "webhook"), ("ev-2", "inbox"),
        ("ev-2", "webhook")]
    assert len(decisions.messages) == 9 and len({m.id for m in decisions.messages}) == 9
    assert [m.case_id for m in department[::2]] == ["K0", "K1", "K2"]
    assert all("漏水" in (m.text or "") for m in decisions.messages)
    assert [n.case_id for n in decisions.notices] == ["K0", "K1", "K2"]
    notice = decisions.notices[1]
    assert notice.id == message_id("ev-1", "department:engineering", "inbox")
    assert set(notice.message_ids) == {m.id for m in decisions.messages if m.cause_event_id == "ev-1"}
    # staff have no quiet hours: at 22:00 they are told at once
    assert {m.send_at for m in decisions.messages} == {NIGHT}
    assert {m.status for m in decisions.messages} == {"sent", "scheduled"}  # inbox: delivered by being recorded


def test_an_event_twice_in_one_batch_makes_its_messages_and_notice_once() -> None:
    decisions = decide(CASE_ASSIGNED, [assigned(1), assigned(2), assigned(1)])
    assert len(decisions.messages) == 6 and len({m.id for m in decisions.messages}) == 6
    assert [n.event_id for n in decisions.notices] == ["ev-1", "ev-2"]


def test_owners_wait_for_the_end_of_quiet_hours_and_a_survey_not_before_it_is_due() -> None:
    welcome = decide(MEMBER_JOINED, [joined(1)]).messages
    assert [(m.recipient, m.channel, m.send_at) for m in welcome] == [("customer:C1", "sms", QUIET_END)]
    assert welcome[0].ready_at == NIGHT
    in_the_morning = datetime(2026, 3, 11, 1, 0, tzinfo=timezone.utc)  # 09:00: outside quiet hours
    (later,) = decide(MEMBER_JOINED, [joined(1)], now=in_the_morning).messages
    assert later.send_at == in_the_morning

    due = in_the_morning + timedelta(hours=3)
    survey = SurveyDue(**envelope(7), survey_id="s1", kind="repair_return_visit", case_id="K7",
                       customer={"customer_id": "C7", "name": "陈女士", "phone": "13912345678"},
                       questionnaire_id="q", due_at=due, expires_at=due + timedelta(days=7), preferred_channel="sms")
    (invitation,) = decide(SURVEY_DUE, [survey]).messages
    assert invitation.ready_at == due and invitation.send_at == due and invitation.case_id == "K7"


def test_each_owner_gets_their_own_preference_within_one_batch() -> None:
    events = [joined(1, "C1"), joined(2, "C2"), joined(3, "C3", phone="")]
    assert customers_of(events) == {"C1", "C2", "C3"}
    preferences = {"C1": Preference("email", "en")}  # C2 and C3 have none
    messages = {m.recipient: m for m in decide(MEMBER_JOINED, events, preferences).messages}
    assert (messages["customer:C1"].channel, messages["customer:C1"].locale) == ("email", "en")
    assert messages["customer:C1"].address == "chen@example.com"
    assert (messages["customer:C2"].channel, messages["customer:C2"].locale) == ("sms", "zh")
    assert messages["customer:C3"].channel == "email"  # no phone: the next channel that reaches the owner


def test_a_check_in_says_nothing_and_staff_topics_need_no_preferences() -> None:
    checked_in = CommunityEventSignupChanged(**envelope(1), activity_id="a1", title="亲子活动", starts_at=NIGHT,
                                             customer_id="C1", member_id="M1", status="checked_in")
    assert decide(COMMUNITY_EVENT_SIGNUP_CHANGED, [checked_in]).messages == []
    assert customers_of([assigned(1)]) == set()


def test_an_unsendable_message_is_failed_at_once_and_reported() -> None:
    rules = Rules(RULES.templates, None, SHANGHAI, 5, frozenset({"email"}))  # no webhook provider
    decisions = compose([cause_of(CASE_ASSIGNED, assigned(1, assignee=None), DIRECTORY, {})], rules, NIGHT)
    webhook = next(m for m in decisions.messages if m.channel == "webhook")
    assert webhook.status == "failed" and "webhook" in (webhook.unsendable or "") and webhook.text is not None
    todo = follow_ups(decisions.messages, {}, set())
    assert todo.unsendable == [webhook] and todo.schedule == []


def test_new_messages_to_deliver_get_their_first_attempt_and_inbox_ones_nothing() -> None:
    decisions = decide(CASE_ASSIGNED, [assigned(1), assigned(2)])
    todo = follow_ups(decisions.messages, {}, set())
    assert [(m.cause_event_id, m.channel) for m in todo.schedule] == [("ev-1", "webhook"), ("ev-2", "webhook")]
    assert todo.unsendable == []


def test_a_redelivered_event_goes_on_with_what_was_stored_and_never_reschedules_a_claimed_attempt() -> None:
    first = decide(CASE_ASSIGNED, [assigned(1), assigned(2), assigned(3)], now=NIGHT)
    stored = {m.id: m for m in first.messages if m.cause_event_id in ("ev-1", "ev-2")}
    again = decide(CASE_ASSIGNED, [assigned(1), assigned(2), assigned(3)], now=NIGHT + timedelta(minutes=5))
    webhook = {m.cause_event_id: m.id for m in again.messages if m.channel == "webhook"}
    claimed = {webhook["ev-1"]}  # ev-1's first attempt is the delivery loop's; ev-2's batch died before its outbox
    todo = follow_ups(again.messages, stored, claimed)
    assert [m.id for m in todo.schedule] == [webhook["ev-2"], webhook["ev-3"]]
    ev2 = todo.schedule[0]
    assert ev2 is stored[webhook["ev-2"]] and ev2.created_at == NIGHT  # the stored message, not the recomposed one
    assert todo.schedule[1].created_at == NIGHT + timedelta(minutes=5)  # ev-3 is new


def test_a_stored_unsendable_message_is_reported_again_on_redelivery() -> None:
    (message,) = [m for m in decide(MEMBER_JOINED, [joined(1)]).messages]
    broken = message.model_copy(update={"unsendable": "template 'x': the event has no field 'y'", "status": "failed"})
    todo = follow_ups([message], {message.id: broken}, set())
    assert todo.unsendable == [broken] and todo.schedule == []


def test_a_message_document_round_trips_and_leaves_out_what_it_has_not() -> None:
    (message,) = decide(MEMBER_JOINED, [joined(1)]).messages
    doc = message.to_doc()
    assert doc["_id"] == message.id and "unsendable" not in doc and doc["text"]
    assert Message.from_doc({**doc, "facets": ["x"]}) == message


def test_a_failure_event_is_the_same_from_the_record_in_hand_and_from_the_stored_one() -> None:
    from kefu_notifications.failures import failed_event, failure_record

    (message,) = decide(MEMBER_JOINED, [joined(1)]).messages
    doc = message.to_doc()
    failure = failure_record(doc, "no provider", 0, NIGHT + timedelta(microseconds=123_456))
    as_stored = {**failure, "failed_at": failure["failed_at"].replace(microsecond=123_000)}  # BSON keeps ms
    assert failed_event(doc, failure).to_json_bytes() == failed_event(doc, as_stored).to_json_bytes()
