"""Reading a dead letter's headers and body, and the headers a replay sends."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from kefu_cli.dlq_records import DeadLetter, replay_headers

GUARD_HEADERS = (
    ("content-type", b"application/json"),
    ("kefu-dlq-error", b"contract violation: channel: Input should be 'hotline'"),
    ("kefu-dlq-error-type", b"ValidationError"),
    ("kefu-dlq-reason", b"contract"),
    ("kefu-dlq-failed-at", b"2026-11-20T08:00:00+00:00"),
    ("kefu-dlq-original-topic", b"ns.call.received"),
    ("kefu-dlq-original-partition", b"3"),
    ("kefu-dlq-original-offset", b"41"),
    ("kefu-dlq-consumer-group", b"ns.kefu-intake"),
)


def letter(value: bytes = b'{"event_id": "call-1", "channel": "fax"}', headers=GUARD_HEADERS, **kw) -> DeadLetter:
    return DeadLetter(dlq_topic=kw.pop("dlq_topic", "ns.call.received.dlq"), partition=0, offset=kw.pop("offset", 7),
                      key=b"13912345678", value=value, headers=tuple(headers), timestamp_ms=kw.pop("ts", None))


def test_the_guards_headers_are_read_back() -> None:
    d = letter()
    assert (d.original_topic, d.original_partition, d.original_offset) == ("ns.call.received", 3, 41)
    assert (d.reason, d.error_type, d.group) == ("contract", "ValidationError", "ns.kefu-intake")
    assert d.failed_at == datetime(2026, 11, 20, 8, tzinfo=timezone.utc)
    assert d.event_id == "call-1"
    assert d.position == "ns.call.received.dlq/0/7"


def test_without_headers_the_topic_comes_from_the_dlq_name_and_the_time_from_the_record() -> None:
    d = letter(headers=(), ts=1_700_000_000_000)
    assert d.original_topic == "ns.call.received"
    assert d.original_partition is None and d.reason == "unknown" and d.error_type == "unknown"
    assert d.failed_at == datetime.fromtimestamp(1_700_000_000, timezone.utc)


def test_a_body_that_is_not_json_has_no_event_id() -> None:
    d = letter(value=b"{this is not json")
    assert d.body_json is None and d.event_id is None
    assert letter(value=b"[1, 2]").event_id is None


def test_replay_headers_drop_the_guards_and_say_where_from_and_when() -> None:
    at = datetime(2026, 11, 21, 9, 30, tzinfo=timezone.utc)
    # a message replayed before and dead-lettered again carries old replay headers: they are replaced
    d = letter(headers=GUARD_HEADERS + (("kefu-replayed-from", b"old/0/1"), ("traceparent", b"00-abc")))
    headers = replay_headers(d, at)
    names = [k for k, _ in headers]
    assert not any(n.startswith("kefu-dlq-") for n in names)
    assert names.count("kefu-replayed-from") == 1
    assert dict(headers) == {
        "content-type": b"application/json", "traceparent": b"00-abc",
        "kefu-replayed-from": b"ns.call.received.dlq/0/7", "kefu-replayed-at": at.isoformat().encode(),
    }
    assert json.loads(d.value)["event_id"] == "call-1"  # the value itself is never touched
