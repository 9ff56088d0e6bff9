"""The bench's baseline: a bare aiokafka relay with the system's three hops and its delivery guarantee, batched.

call.received -> (intake) -> case.opened -> (routing) -> case.assigned -> (notifications).
Each stage takes up to 500 records (``getmany``), sends them all on, awaits all
the acks and only then commits, once per batch: at-least-once, the same
guarantee as the services (commit after the effect), without a store. One
message at a time (send_and_wait and commit per record) did ~240 msgs/s here:
that measured aiokafka's round trips, not what Kafka and Python can do.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from kefu_kit import ensure_topics

from .bench_pacing import publish
from .bench_report import measured

HOPS = 3
BATCH = 500


async def baseline(bootstrap: str, items: Sequence[tuple[str, bytes, bytes]]) -> dict[str, Any]:
    """Relay ``items`` (id, key, value; the value a JSON object with ``event_id``) through the hops; the figures."""
    ns = "benchrelay" + uuid.uuid4().hex[:6]
    names = [f"{ns}.hop{i}" for i in range(HOPS + 1)]
    await ensure_topics(bootstrap, [(n, 6) for n in names])
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=2)
    await producer.start()
    arrived: dict[str, float] = {}
    done = asyncio.Event()
    consumers: list[AIOKafkaConsumer] = []

    async def stage(i: int) -> None:
        consumer = AIOKafkaConsumer(names[i], bootstrap_servers=bootstrap, group_id=f"{ns}-stage{i}",
                                    enable_auto_commit=False, auto_offset_reset="earliest")
        consumers.append(consumer)
        await consumer.start()
        while True:
            batches = await consumer.getmany(timeout_ms=200, max_records=BATCH)
            records = [r for rs in batches.values() for r in rs]
            if not records:
                continue
            if i < HOPS:
                futures = [await producer.send(names[i + 1], r.value, key=r.key) for r in records]
                await asyncio.gather(*futures)
            else:
                now = time.time()
                for r in records:
                    arrived[json.loads(r.value)["event_id"]] = now
                if len(arrived) >= len(items):
                    done.set()
            await consumer.commit()

    tasks = [asyncio.create_task(stage(i)) for i in range(1, HOPS + 1)]
    try:
        await asyncio.sleep(3)  # group joins
        sent, started = await publish(producer, names[1], items)
        await done.wait()
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for consumer in consumers:
            await consumer.stop()
        await producer.stop()
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            await admin.delete_topics(names)
        finally:
            await admin.close()
    return measured(sent, arrived, started)
