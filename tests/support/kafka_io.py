"""Producing and reading test events on the real broker."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from .infra import Infra


def call_payload(i: int, **overrides: Any) -> dict[str, Any]:
    """A valid call.received event with a unique id."""
    payload: dict[str, Any] = {
        "event_id": f"call-{uuid.uuid4()}",
        "schema_version": 1,
        "occurred_at": datetime.now(timezone.utc).isoformat(),
        "channel": "hotline",
        "caller": {"name": f"业主{i}", "phone": f"139{i:08d}"},
        "property": {"project": "滨江花园", "building": f"{i % 9 + 1}幢", "unit": f"{i % 30 + 1:02d}01"},
        "body": "卫生间天花板漏水，麻烦派人来看看",
    }
    payload.update(overrides)
    return payload


async def send_json(producer: AIOKafkaProducer, topic: str, payload: dict[str, Any] | bytes, key: str = "k") -> None:
    value = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
    await producer.send_and_wait(topic, value, key=key.encode())


async def read_all(infra: Infra, topic: str, timeout_ms: int = 3000) -> list[Any]:
    """Every message on ``topic`` from the beginning (no consumer group)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=infra.kafka_bootstrap, auto_offset_reset="earliest", group_id=None)
    await consumer.start()
    out: list[Any] = []
    try:
        while True:
            batch = await consumer.getmany(timeout_ms=timeout_ms)
            if not batch:
                return out
            for records in batch.values():
                out.extend(records)
    finally:
        await consumer.stop()
