from datetime import datetime, timedelta, timezone

import pytest
from kefu_surveys.domain.visits import (
    MAX_ATTEMPTS,
    complaint_visit_due,
    default_policy,
    first_channel,
    is_complaint_closure,
    is_dissatisfied,
    on_expiry,
    parse_policy,
    repair_visit_due,
)
from kefu_surveys.domain.surveys import Contact

T = datetime(2026, 5, 1, 23, 30, tzinfo=timezone.utc)


def test_a_repair_visit_is_due_a_day_after_completion_and_a_complaint_visit_two_days_after_closure() -> None:
    assert repair_visit_due(T, timedelta(hours=24)) == datetime(2026, 5, 2, 23, 30, tzinfo=timezone.utc)
    assert complaint_visit_due(T, timedelta(hours=48)) == datetime(2026, 5, 3, 23, 30, tzinfo=timezone.utc)
    assert repair_visit_due(T, timedelta(seconds=1)) == T + timedelta(seconds=1)


def test_due_times_need_an_offset() -> None:
    with pytest.raises(ValueError, match="offset"):
        repair_visit_due(datetime(2026, 5, 1), timedelta(hours=24))


@pytest.mark.parametrize(("status", "kind", "level", "actor", "owed"), [
    ("closed", "complaint", 1, "cs_manager", True),
    ("closed", "complaint", None, "system", True),
    ("closed", "repair", 2, "engineering", True),  # an escalated repair was a complaint
    ("closed", "repair", None, "engineering", False),
    ("closed", "inquiry", 0, "agent", False),
    ("resolved", "complaint", 1, "cs_manager", False),
    ("reopened", "complaint", 2, "surveys", False),
    ("closed", "repair", 1, "surveys", False),  # closed by a satisfied return visit: asked already
])
def test_which_closures_owe_a_complaint_return_visit(status, kind, level, actor, owed) -> None:
    assert is_complaint_closure(status, kind, level, actor) is owed


@pytest.mark.parametrize(("csat", "solved", "dissatisfied"), [
    (1, True, True), (2, True, True), (2, None, True), (3, True, False), (4, True, False), (5, None, False),
    (5, False, True), (None, False, True), (None, None, False), (3, None, False),
])
def test_dissatisfied_is_csat_two_or_less_or_not_solved(csat, solved, dissatisfied) -> None:
    assert is_dissatisfied(csat, solved) is dissatisfied


@pytest.mark.parametrize(("first", "retry"), [("phone", "sms"), ("sms", "wechat"), ("wechat", "sms"),
                                              ("email", "sms")])
def test_the_first_expiry_retries_once_on_another_channel(first, retry) -> None:
    decision = on_expiry(1, first)
    assert decision.outcome == "retry" and decision.channel == retry


def test_the_second_expiry_is_unreachable_for_good() -> None:
    assert MAX_ATTEMPTS == 2
    for channel in ("phone", "sms", "wechat", "email"):
        assert on_expiry(2, channel).outcome == "unreachable"
        assert on_expiry(2, channel).channel is None


def test_channels_follow_the_known_contact() -> None:
    assert first_channel("repair_return_visit", Contact(phone="+8613900000001")) == "phone"
    assert first_channel("repair_return_visit", Contact()) == "phone"  # no contact: an agent calls
    assert first_channel("periodic_satisfaction", Contact(phone="+8613900000001", email="a@b.cn")) == "sms"
    assert first_channel("periodic_satisfaction", Contact(email="a@b.cn")) == "email"
    assert first_channel("periodic_satisfaction", Contact(wechat_openid="o-1", email="a@b.cn")) == "wechat"
    assert first_channel("periodic_satisfaction", Contact()) == "phone"
    assert first_channel("event_feedback", Contact(wechat_openid="o-1", phone="1")) == "wechat"


def test_the_shipped_policy_names_a_questionnaire_for_every_kind() -> None:
    policy = default_policy()
    assert policy.questionnaire["repair_return_visit"] == "return-visit-v1"
    assert policy.questionnaire["periodic_satisfaction"] == "satisfaction-v1"
    assert policy.questionnaire["event_feedback"] == "event-feedback-v1"


def _policy(**overrides):
    data = {"questionnaire": dict(default_policy().questionnaire),
            "channels": {k: list(v) for k, v in default_policy().channels.items()},
            "retry": dict(default_policy().retry)}
    data.update(overrides)
    return data


def test_a_policy_that_retries_on_the_same_channel_or_misses_a_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="another channel"):
        parse_policy(_policy(retry={"phone": "phone", "sms": "wechat", "wechat": "sms", "email": "sms"}))
    with pytest.raises(ValueError, match="every survey kind"):
        parse_policy(_policy(questionnaire={"repair_return_visit": "return-visit-v1"}))
    with pytest.raises(ValueError, match="channels are some of"):
        parse_policy(_policy(channels={**_policy()["channels"], "event_feedback": ["fax"]}))
