"""Dedupe keys, the back-off schedule and the derived delivery status."""

from datetime import timedelta

import pytest
from kefu_notifications.domain.keys import attempt_id, failed_event_id, message_id
from kefu_notifications.domain.retry import RetryPolicy
from kefu_notifications.domain.status import derive_status


def test_one_message_per_event_recipient_and_channel() -> None:
    a = message_id("ev-1", "department:engineering", "inbox")
    assert a == message_id("ev-1", "department:engineering", "inbox")  # a redelivery: the same id
    others = {message_id("ev-2", "department:engineering", "inbox"),
              message_id("ev-1", "department:property", "inbox"),
              message_id("ev-1", "department:engineering", "webhook")}
    assert a not in others and len(others) == 3


def test_the_skeleton_notification_ids_are_kept() -> None:
    # the id the walking skeleton gave a department inbox notification: old records stay deduplicated
    from kefu_contracts import derived_event_id

    assert message_id("ev-1", "department:x", "inbox") == derived_event_id("notification", "ev-1", "department:x", "inbox")


def test_attempt_claims_and_failure_events_are_keyed_by_the_message() -> None:
    m = message_id("ev-1", "customer:C1", "sms")
    assert attempt_id(m, 1) == f"{m}|1" and attempt_id(m, 2) != attempt_id(m, 1)
    assert failed_event_id(m) == failed_event_id(m) != failed_event_id(message_id("ev-2", "customer:C1", "sms"))
    with pytest.raises(ValueError):
        attempt_id(m, 0)


def test_backoff_doubles_from_the_base_up_to_the_cap() -> None:
    policy = RetryPolicy(max_attempts=5, base=timedelta(seconds=30), cap=timedelta(minutes=3))
    assert policy.schedule() == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120),
                                 timedelta(minutes=3)]
    assert policy.has_next(4) and not policy.has_next(5)


def test_default_backoff_has_four_waits_for_five_attempts() -> None:
    assert RetryPolicy().schedule() == [timedelta(seconds=s) for s in (30, 60, 120, 240)]


def test_one_attempt_means_no_retry() -> None:
    assert RetryPolicy(max_attempts=1).schedule() == []


@pytest.mark.parametrize("kwargs", [{"max_attempts": 0}, {"base": timedelta(0)},
                                    {"base": timedelta(minutes=2), "cap": timedelta(minutes=1)}])
def test_nonsense_policies_are_refused(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)


def outcome(attempt: int, ok: bool) -> dict:
    return {"attempt": attempt, "ok": ok}


def test_status_is_derived_from_the_outcomes() -> None:
    message = {"max_attempts": 3, "channel": "sms"}
    assert derive_status(message, []) == "scheduled"
    assert derive_status(message, [outcome(1, False)]) == "scheduled"
    assert derive_status(message, [outcome(1, False), outcome(2, True)]) == "sent"
    assert derive_status(message, [outcome(n, False) for n in (1, 2, 3)]) == "failed"
    assert derive_status({**message, "unsendable": "template x: no field y"}, []) == "failed"


def test_an_inbox_message_is_delivered_by_being_recorded_unless_it_could_not_be_rendered() -> None:
    assert derive_status({"max_attempts": 3, "channel": "inbox"}, []) == "sent"
    assert derive_status({"max_attempts": 3, "channel": "inbox", "unsendable": "x"}, []) == "failed"
