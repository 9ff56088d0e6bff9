"""Where the channel adapter's calls come from: a JSON-lines file, or the bundled sample of a day's contacts."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

from kefu_contracts import CallReceived


def sample_lines() -> list[str]:
    return resources.files("kefu_cli.data").joinpath("sample_calls.jsonl").read_text(encoding="utf-8").splitlines()


def file_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def calls(lines: list[str], count: int | None = None) -> Iterator[CallReceived]:
    """Contract-valid calls from payload lines, enveloped; cycles through the lines to reach ``count``.

    A line may carry its own ``event_id`` and ``occurred_at``; otherwise a new id and
    the current time are given (a line reused by cycling always gets a new id).
    """
    payloads = [json.loads(line) for line in lines if line.strip()]
    if not payloads:
        raise ValueError("no calls in the input")
    total = len(payloads) if count is None else count
    for i in range(total):
        payload: dict[str, Any] = dict(payloads[i % len(payloads)])
        if i >= len(payloads) or "event_id" not in payload:
            payload["event_id"] = f"call-{uuid.uuid4()}"
        payload.setdefault("occurred_at", datetime.now(timezone.utc).isoformat())
        payload.setdefault("schema_version", 1)
        yield CallReceived.model_validate(payload)
