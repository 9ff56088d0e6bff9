"""What ``kefu dlq`` prints, as text for people and as JSON for scripts, never with personal data in clear.

Dead letters are exactly the messages nobody validated: a phone number may sit
in the key, in any field of the body, or as a bare number. So bodies are masked
field by field (``mask_value``, which masks sensitive keys whole) and then every
line that leaves this module goes through ``mask_text`` once more.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from kefu_kit.masking import SENSITIVE_KEYS, mask_text, mask_value

from .dlq_records import DLQ_HEADER_PREFIX, DeadLetter


def safe(text: str) -> str:
    """The last guard before the terminal: mask phones, emails and ID numbers."""
    return mask_text(text)


def as_json(data: Any) -> str:
    return safe(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _time(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def _body(letter: DeadLetter) -> Any:
    parsed = letter.body_json
    if parsed is not None:
        return mask_value(None, _numbers_as_text(None, parsed))
    return safe(letter.value.decode("utf-8", "replace"))


def _numbers_as_text(key: Any, value: Any) -> Any:
    """A phone sent as a bare number (a contract break like any other) becomes a string so it gets masked.

    Masking the printed JSON alone would turn such a number into invalid JSON.
    """
    if isinstance(value, dict):
        return {k: _numbers_as_text(k, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers_as_text(key, v) for v in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        sensitive = isinstance(key, str) and key.lower() in SENSITIVE_KEYS
        if sensitive or mask_text(str(value)) != str(value):
            return str(value)
    return value


def letter_data(letter: DeadLetter) -> dict[str, Any]:
    """One dead letter as data (masked)."""
    return {
        "dlq_topic": letter.dlq_topic,
        "partition": letter.partition,
        "offset": letter.offset,
        "original_topic": letter.original_topic,
        "original_partition": letter.original_partition,
        "original_offset": letter.original_offset,
        "consumer_group": letter.group,
        "failed_at": _time(letter.failed_at),
        "reason": letter.reason,
        "error_type": letter.error_type,
        "error": safe(letter.error),
        "key": None if letter.key is None else safe(letter.key.decode("utf-8", "replace")),
        "event_id": letter.event_id,
        "headers": {k: safe(v.decode("utf-8", "replace")) for k, v in letter.headers
                    if not k.startswith(DLQ_HEADER_PREFIX)},
        "body_is_json": letter.body_json is not None,
        "body": _body(letter),
    }


def render_letter(letter: DeadLetter) -> str:
    d = letter_data(letter)
    origin = f"{d['original_topic']} partition {d['original_partition']} offset {d['original_offset']}"
    body = json.dumps(d["body"], ensure_ascii=False, indent=2) if d["body_is_json"] else d["body"]
    lines = [
        f"== {d['dlq_topic']} partition {d['partition']} offset {d['offset']}",
        f"   from:        {origin}",
        f"   group:       {d['consumer_group'] or '-'}",
        f"   failed at:   {d['failed_at'] or '-'}",
        f"   reason:      {d['reason']} ({d['error_type']})",
        f"   event_id:    {d['event_id'] or '-'}",
        f"   key:         {d['key'] if d['key'] is not None else '-'}",
        "   error:       " + d["error"].replace("\n", "\n                "),
        "   body" + ("" if d["body_is_json"] else " (not JSON)") + ":",
        *("     " + line for line in body.splitlines() or [""]),
    ]
    return safe("\n".join(lines))


def summary(topic: str, dlq_topic: str, exists: bool, marks: dict[int, tuple[int, int]],
            letters: list[DeadLetter], replayed: int) -> dict[str, Any]:
    """The ``list`` row of one DLQ: counts, breakdowns, failure time range, already replayed."""
    times = [t for t in (letter.failed_at for letter in letters) if t is not None]
    return {
        "topic": topic,
        "dlq_topic": dlq_topic,
        "exists": exists,
        "partitions": {str(p): {"low": lo, "high": hi} for p, (lo, hi) in sorted(marks.items())},
        "waiting": len(letters),
        "replayed": replayed,
        "by_reason": dict(Counter(letter.reason for letter in letters).most_common()),
        "by_error_type": dict(Counter(letter.error_type for letter in letters).most_common()),
        "oldest_failure": _time(min(times)) if times else None,
        "newest_failure": _time(max(times)) if times else None,
    }


def render_list(rows: Iterable[dict[str, Any]]) -> str:
    rows = list(rows)
    width = max([len(r["dlq_topic"]) for r in rows] + [9])
    out = [f"{'DLQ topic':<{width}}  {'waiting':>7}  {'replayed':>8}  {'oldest failure':<25}  newest failure"]
    for r in rows:
        if not r["exists"]:
            out.append(f"{r['dlq_topic']:<{width}}  {'-':>7}  {'-':>8}  (topic not created yet)")
            continue
        out.append(f"{r['dlq_topic']:<{width}}  {r['waiting']:>7}  {r['replayed']:>8}  "
                   f"{r['oldest_failure'] or '-':<25}  {r['newest_failure'] or '-'}")
        if r["waiting"]:
            out.append(" " * 4 + "reasons: " + ", ".join(f"{k} {v}" for k, v in r["by_reason"].items()))
            out.append(" " * 4 + "errors:  " + ", ".join(f"{k} {v}" for k, v in r["by_error_type"].items()))
    total = sum(r["waiting"] for r in rows)
    out.append(f"{total} dead letter(s) waiting in {sum(1 for r in rows if r['waiting'])} topic(s)")
    return safe("\n".join(out))


def render_history(records: Iterable[dict[str, Any]]) -> str:
    out = []
    for r in records:
        where = ", ".join(f"p{p['partition']} {p['from']}..{p['to']}" for p in r.get("partitions", []))
        line = f"{r.get('when', '?')}  {r.get('action', '?'):<6}  {r.get('dlq_topic', '?')}  {where}  " \
               f"count={r.get('count', 0)}  by {r.get('who', '?')}"
        if r.get("event_ids"):
            line += "\n    event_ids: " + ", ".join(r["event_ids"])
        out.append(line)
    return safe("\n".join(out) if out else "no dead-letter actions recorded")
