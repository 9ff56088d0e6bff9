"""What a caller sees of a message: texts, errors and customer recipients in clear only with PII rights."""

from datetime import datetime, timezone

import pytest
from kefu_kit.auth import Principal, Role
from kefu_notifications.api import MessageView, message_view

T0 = datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc)
PHONE, EMAIL, ID_NUMBER = "13912345678", "chen.li@example.com", "330106199001011234"


def message(**over) -> dict:
    return {"_id": "notification-1", "recipient": "customer:C-chen-001", "channel": "sms", "address": PHONE,
            "template": "survey_due.repair_return_visit", "locale": "zh", "subject": f"回访 {EMAIL}",
            "text": f"陈女士（{PHONE}，身份证 {ID_NUMBER}）投诉：楼上漏水", "case_id": "K1",
            "cause_event_id": "ev-1", "cause_topic": "survey.due", "correlation_id": "c-1", "urgent": False,
            "created_at": T0, "send_at": T0, "max_attempts": 3, **over}


FAILED = [{"attempt": 1, "started_at": T0, "finished_at": T0, "ok": False, "error": f"rejected {PHONE}",
           "provider_message_id": None}]


@pytest.mark.parametrize("role", [Role.HOTLINE_AGENT, Role.COMPLAINT_SPECIALIST, Role.CUSTOMER_RELATIONS,
                                  Role.CS_MANAGER, Role.CS_GENERAL_MANAGER])
def test_roles_that_see_personal_data_get_texts_and_recipients_in_clear(role) -> None:
    view = message_view(message(), FAILED, None, Principal("p", role, None))
    assert view["text"] == message()["text"] and view["subject"] == message()["subject"]
    assert view["recipient"] == "customer:C-chen-001" and view["attempts"][0]["error"] == f"rejected {PHONE}"
    assert PHONE not in view["address"], "addresses stay masked for everyone"
    MessageView.model_validate(view)


def test_operations_get_texts_errors_addresses_and_customers_masked() -> None:
    view = message_view(message(), FAILED, None, Principal("ops", Role.OPS, None))
    shown = repr(view)
    for secret in (PHONE, EMAIL, ID_NUMBER, "C-chen-001"):
        assert secret not in shown, secret
    assert "楼上漏水" in view["text"] and view["text"].startswith("陈女士"), "the words stay readable"
    assert view["recipient"].startswith("customer:") and view["attempts"][0]["error"].startswith("rejected ")
    assert view["status"] == "scheduled" and view["id"] == "notification-1"


def test_staff_recipients_are_not_personal_and_stay_readable_for_operations() -> None:
    view = message_view(message(recipient="department:engineering", channel="inbox", address="engineering"), [],
                        None, Principal("ops", Role.OPS, None))
    assert view["recipient"] == "department:engineering" and view["status"] == "sent"


def test_without_a_caller_nothing_personal_is_shown() -> None:
    view = message_view(message(), FAILED)
    assert PHONE not in repr(view) and "C-chen-001" not in repr(view)
