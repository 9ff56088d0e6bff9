"""Dead letters as the operator sees them: what failed, where it came from, and how to send it back.

Pure functions over records read from a ``<topic>.dlq`` partition; the header
names are the consumer guard's (``kefu_kit.dead_letter``), so what it writes and
what this tool reads cannot drift apart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from kefu_contracts.topics import DLQ_SUFFIX
from kefu_kit.dead_letter import (
    H_ERROR,
    H_ERROR_TYPE,
    H_FAILED_AT,
    H_GROUP,
    H_OFFSET,
    H_PARTITION,
    H_REASON,
    H_TOPIC,
)

DLQ_HEADER_PREFIX = "kefu-dlq-"
H_REPLAYED_FROM = "kefu-replayed-from"
H_REPLAYED_AT = "kefu-replayed-at"


@dataclass(frozen=True)
class DeadLetter:
    """One message waiting in a dead-letter partition, with its bytes exactly as the guard stored them."""

    dlq_topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()
    timestamp_ms: int | None = None
    _header_map: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "_header_map", {k: (v or b"").decode("utf-8", "replace") for k, v in self.headers}
        )

    @classmethod
    def from_record(cls, record: Any) -> "DeadLetter":
        """From an aiokafka ``ConsumerRecord`` (or anything with the same attributes)."""
        return cls(
            dlq_topic=record.topic, partition=record.partition, offset=record.offset, key=record.key,
            value=record.value if record.value is not None else b"",
            headers=tuple((k, v) for k, v in (record.headers or ())), timestamp_ms=record.timestamp,
        )

    def header(self, name: str) -> str | None:
        return self._header_map.get(name)

    @property
    def original_topic(self) -> str:
        """Where the message failed: the guard's header, else the DLQ name without ``.dlq``."""
        named = self.header(H_TOPIC)
        if named:
            return named
        return self.dlq_topic[: -len(DLQ_SUFFIX)] if self.dlq_topic.endswith(DLQ_SUFFIX) else self.dlq_topic

    @property
    def original_partition(self) -> int | None:
        return _int_or_none(self.header(H_PARTITION))

    @property
    def original_offset(self) -> int | None:
        return _int_or_none(self.header(H_OFFSET))

    @property
    def group(self) -> str | None:
        return self.header(H_GROUP)

    @property
    def reason(self) -> str:
        return self.header(H_REASON) or "unknown"

    @property
    def error_type(self) -> str:
        return self.header(H_ERROR_TYPE) or "unknown"

    @property
    def error(self) -> str:
        return self.header(H_ERROR) or ""

    @property
    def failed_at(self) -> datetime | None:
        """When the guard gave up on it; the DLQ record's own timestamp if the header is missing or bad."""
        text = self.header(H_FAILED_AT)
        if text:
            try:
                parsed = datetime.fromisoformat(text)
                return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
            except ValueError:
                pass
        if self.timestamp_ms is not None:
            return datetime.fromtimestamp(self.timestamp_ms / 1000, timezone.utc)
        return None

    @property
    def body_json(self) -> Any | None:
        """The body parsed as JSON, or None when it is not JSON (then show the raw text)."""
        try:
            return json.loads(self.value)
        except ValueError:
            return None

    @property
    def event_id(self) -> str | None:
        body = self.body_json
        if isinstance(body, dict) and body.get("event_id") is not None:
            return str(body["event_id"])
        return None

    @property
    def position(self) -> str:
        """``<dlq topic>/<partition>/<offset>``: how a replayed message names where it came from."""
        return f"{self.dlq_topic}/{self.partition}/{self.offset}"


def replay_headers(letter: DeadLetter, replayed_at: datetime) -> list[tuple[str, bytes]]:
    """The original headers without the guard's ``kefu-dlq-*`` ones (nor an earlier replay's), plus where and when."""
    kept = [(k, v) for k, v in letter.headers if not k.startswith(DLQ_HEADER_PREFIX)
            and k not in (H_REPLAYED_FROM, H_REPLAYED_AT)]
    return kept + [
        (H_REPLAYED_FROM, letter.position.encode()),
        (H_REPLAYED_AT, replayed_at.astimezone(timezone.utc).isoformat().encode()),
    ]


def _int_or_none(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None
