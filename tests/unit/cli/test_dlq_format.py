"""What ``kefu dlq`` prints: everything an operator needs, and no personal data in clear."""

from __future__ import annotations

import json

from kefu_cli.dlq_format import as_json, letter_data, render_history, render_letter, render_list, summary
from kefu_cli.dlq_records import DeadLetter

SECRETS = ("13912345678", "zhang.san@example.com", "330106199001011234", "13800001111", "87654321", "5550123")


def letter() -> DeadLetter:
    body = {"event_id": "call-9", "channel": "fax",
            "caller": {"name": "张三", "phone": "13912345678", "email": "zhang.san@example.com",
                       "id_number": "330106199001011234", "mobile": 13800001111, "tel": 5550123},
            "body": "请回电 0571-87654321"}
    return DeadLetter(
        dlq_topic="ns.call.received.dlq", partition=0, offset=3, key=b"13912345678",
        value=json.dumps(body, ensure_ascii=False).encode(),
        headers=(("kefu-dlq-error", b"contract violation: caller.phone 13912345678 is bad"),
                 ("kefu-dlq-reason", b"contract"), ("kefu-dlq-error-type", b"ValidationError"),
                 ("kefu-dlq-original-topic", b"ns.call.received"), ("kefu-dlq-original-partition", b"1"),
                 ("kefu-dlq-original-offset", b"8"), ("kefu-dlq-consumer-group", b"ns.kefu-intake"),
                 ("kefu-dlq-failed-at", b"2026-11-20T08:00:00+00:00"), ("x-caller", b"zhang.san@example.com")),
    )


def test_show_prints_origin_error_and_pretty_body_with_personal_data_masked() -> None:
    text = render_letter(letter())
    for expected in ("ns.call.received.dlq partition 0 offset 3", "ns.call.received partition 1 offset 8",
                     "ns.kefu-intake", "2026-11-20T08:00:00+00:00", "contract (ValidationError)", "call-9",
                     '"channel": "fax"', "张三", "139****5678"):
        assert expected in text
    for secret in SECRETS:
        assert secret not in text


def test_json_output_is_masked_too() -> None:
    data = letter_data(letter())
    text = as_json(data)
    for secret in SECRETS:
        assert secret not in text
    parsed = json.loads(text)
    assert parsed["event_id"] == "call-9" and parsed["body"]["channel"] == "fax"
    assert "kefu-dlq-error" not in parsed["headers"]  # shown as fields, not repeated as headers


def test_a_body_that_is_not_json_is_shown_as_text_masked() -> None:
    raw = DeadLetter(dlq_topic="t.dlq", partition=0, offset=0, key=None, value=b"{broken 13912345678")
    text = render_letter(raw)
    assert "body (not JSON):" in text and "{broken 139****5678" in text and "13912345678" not in text


def test_list_groups_by_reason_and_error_type_with_failure_times() -> None:
    other = DeadLetter(dlq_topic="ns.call.received.dlq", partition=0, offset=4, key=None, value=b"x",
                       headers=(("kefu-dlq-reason", b"handler_error"), ("kefu-dlq-error-type", b"KeyError"),
                                ("kefu-dlq-failed-at", b"2026-11-21T08:00:00+00:00")))
    row = summary("call.received", "ns.call.received.dlq", True, {0: (3, 5)}, [letter(), other], replayed=1)
    assert row["waiting"] == 2 and row["replayed"] == 1
    assert row["by_reason"] == {"contract": 1, "handler_error": 1}
    assert row["by_error_type"] == {"ValidationError": 1, "KeyError": 1}
    assert (row["oldest_failure"], row["newest_failure"]) == ("2026-11-20T08:00:00+00:00", "2026-11-21T08:00:00+00:00")
    empty = summary("case.opened", "ns.case.opened.dlq", False, {}, [], 0)
    text = render_list([row, empty])
    assert "contract 1, handler_error 1" in text and "(topic not created yet)" in text
    assert text.endswith("2 dead letter(s) waiting in 1 topic(s)")


def test_history_lists_actions_or_says_there_are_none() -> None:
    assert render_history([]) == "no dead-letter actions recorded"
    text = render_history([{"action": "replay", "dlq_topic": "ns.call.received.dlq",
                            "when": "2026-11-21T09:30:00+00:00",
                            "partitions": [{"partition": 0, "from": 2, "to": 3}], "count": 2, "who": "wang",
                            "event_ids": ["call-a", "call-b"]}])
    assert "replay" in text and "p0 2..3" in text and "by wang" in text and "call-a, call-b" in text
