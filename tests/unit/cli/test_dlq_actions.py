"""The action records: what a replay or purge writes, and counting what was already replayed."""

from __future__ import annotations

from datetime import datetime, timezone

from kefu_cli.dlq_actions import action_record, decode, encode, ops_topic, replayed
from kefu_cli.dlq_ranges import Span
from kefu_cli.dlq_records import DeadLetter

DLQ = "ns.call.received.dlq"


def letter(offset: int, event_id: str | None = None, topic: str = DLQ) -> DeadLetter:
    value = f'{{"event_id": "{event_id}"}}'.encode() if event_id else b"not json"
    return DeadLetter(dlq_topic=topic, partition=0, offset=offset, key=None, value=value)


def test_the_operations_topic_follows_the_namespace() -> None:
    assert ops_topic("ns") == "ns.ops.dlq_actions"
    assert ops_topic("") == "ops.dlq_actions"


def test_a_replay_record_names_offsets_actor_time_event_ids_and_targets() -> None:
    at = datetime(2026, 11, 21, 9, 30, tzinfo=timezone.utc)
    record = action_record("replay", "call.received", DLQ, [Span(0, 3, 5)], [letter(3, "call-a"), letter(4)],
                           "wang", at, sent_to=["ns.call.received/2/40", "ns.call.received/5/9"])
    assert record == {
        "action": "replay", "topic": "call.received", "dlq_topic": DLQ,
        "partitions": [{"partition": 0, "from": 3, "to": 4, "count": 2}], "count": 2, "who": "wang",
        "when": "2026-11-21T09:30:00+00:00", "event_ids": ["call-a"], "targets": ["ns.call.received"],
        "sent_to": ["ns.call.received/2/40", "ns.call.received/5/9"],
    }
    assert decode(encode(record)) == record


def test_foreign_messages_on_the_operations_topic_are_ignored() -> None:
    assert decode(b"garbage") is None
    assert decode(b'{"action": "something else"}') is None
    assert decode(None) is None


def test_replayed_counts_waiting_letters_inside_recorded_replays_of_that_dlq_only() -> None:
    at = datetime.now(timezone.utc)
    history = [
        action_record("replay", "call.received", DLQ, [Span(0, 2, 4)], [], "a", at),
        action_record("purge", "call.received", DLQ, [Span(0, 0, 6)], [], "a", at),  # purges are not replays
        action_record("replay", "case.opened", "ns.case.opened.dlq", [Span(0, 5, 6)], [], "a", at),
    ]
    waiting = [letter(o) for o in range(2, 7)]
    assert replayed(waiting, history) == 2  # offsets 2 and 3
    assert replayed([letter(5, topic="ns.case.opened.dlq")], history) == 1
