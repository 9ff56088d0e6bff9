"""The record of what operators did to dead letters: one JSON document per replay or purge.

The records live on an operations topic (``<ns>.ops.dlq_actions``), not in a
service's database: the tool needs nothing but Kafka, and the log keeps them in
order. ``list`` uses them to tell which waiting messages were already replayed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from .dlq_ranges import Span
from .dlq_records import DeadLetter

OPS_TOPIC = "ops.dlq_actions"


def ops_topic(namespace: str) -> str:
    return f"{namespace}.{OPS_TOPIC}" if namespace else OPS_TOPIC


def action_record(
    action: str, topic: str, dlq_topic: str, spans: Iterable[Span], letters: list[DeadLetter], who: str,
    when: datetime, sent_to: list[str] | None = None,
) -> dict[str, Any]:
    """The document for one replay or purge of ``letters`` (the messages in ``spans``).

    A replay also names the original topics and where each message landed (``topic/partition/offset``).
    """
    spans = list(spans)
    record: dict[str, Any] = {
        "action": action,
        "topic": topic,
        "dlq_topic": dlq_topic,
        "partitions": [{"partition": s.partition, "from": s.start, "to": s.stop - 1, "count": s.count} for s in spans],
        "count": sum(s.count for s in spans),
        "who": who,
        "when": when.astimezone(timezone.utc).isoformat(),
        "event_ids": [letter.event_id for letter in letters if letter.event_id],
    }
    if action == "replay":
        record["targets"] = sorted({letter.original_topic for letter in letters})
        record["sent_to"] = list(sent_to or [])
    return record


def encode(record: dict[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False, sort_keys=True).encode("utf-8")


def decode(value: bytes | None) -> dict[str, Any] | None:
    """A record read back, or None for anything on the topic that is not one of ours."""
    try:
        data = json.loads(value or b"")
    except ValueError:
        return None
    return data if isinstance(data, dict) and data.get("action") in ("replay", "purge") else None


def replayed(letters: Iterable[DeadLetter], history: Iterable[dict[str, Any]]) -> int:
    """How many of ``letters`` a recorded replay already sent back to their topic."""
    done: dict[tuple[str, int], list[tuple[int, int]]] = {}
    for record in history:
        if record.get("action") != "replay":
            continue
        for p in record.get("partitions", []):
            done.setdefault((record.get("dlq_topic", ""), p["partition"]), []).append((p["from"], p["to"]))
    return sum(
        1 for letter in letters
        if any(lo <= letter.offset <= hi for lo, hi in done.get((letter.dlq_topic, letter.partition), ()))
    )
