"""The batch consumer on a real broker: a transient failure retries the whole batch (never dead-lettered);
a bug isolates its record, which alone is dead-lettered; order is kept and everything is committed."""

from __future__ import annotations

import asyncio
from typing import ClassVar

import pytest
from kefu_contracts import CALL_RECEIVED, CallReceived
from kefu_kit import Batch, ServiceKit, ServiceSettings, ensure_topics, subscribe_batches
from pymongo.errors import AutoReconnect

from support.kafka_io import call_payload, read_all, send_json
from support.lag import lag
from support.waiting import eventually

pytestmark = pytest.mark.integration


class BatchSettings(ServiceSettings):
    service: ClassVar[str] = "batchtest"


async def test_transient_failures_retry_the_batch_and_a_bug_dead_letters_only_its_record(infra, namespace, producer):
    settings = BatchSettings(kafka_bootstrap=infra.kafka_bootstrap, mongo_url=infra.mongo_url,
                             namespace=namespace, retry_initial_s=0.05, retry_max_s=0.2)
    kit = ServiceKit(settings)
    await ensure_topics(settings.kafka_bootstrap, settings.topics.all_physical())
    topic = settings.topics(CALL_RECEIVED)
    calls = [call_payload(i) for i in range(8)]
    calls[5]["body"] = "BUG"
    for payload in calls:  # one partition, all published before consuming starts: one batch
        await send_json(producer, topic, payload, key="one-partition")
    batches: list[list[str]] = []
    handled: list[str] = []
    outages = 2

    @subscribe_batches(kit, CALL_RECEIVED, max_records=100, batch_timeout_ms=200)
    async def handle(batch: Batch[CallReceived]) -> None:
        nonlocal outages
        batches.append([c.event_id for c in batch.events_in])
        if outages:
            outages -= 1
            raise AutoReconnect("store unreachable")
        if any(c.body == "BUG" for c in batch.events_in):
            raise KeyError("a bug in the handler")
        handled.extend(c.event_id for c in batch.events_in)

    await kit.broker.start()
    try:
        await eventually(lambda: asyncio.sleep(0, result=list(handled)), lambda h: len(h) == 7, what="7 handled")
        await eventually(lambda: lag(infra.kafka_bootstrap, settings.group_id, topic), lambda n: n == 0,
                         what="all committed")
    finally:
        await kit.broker.stop()
        await kit.mongo.close()

    ids = [c["event_id"] for c in calls]
    assert batches[:3] == [ids, ids, ids], "the whole batch retried after each outage, then failed on the bug"
    assert batches[3:] == [[i] for i in ids], "then its records one by one, in order"
    assert handled == [i for i in ids if i != ids[5]]
    dead = await read_all(infra, topic + ".dlq", 1000)
    assert len(dead) == 1, "only the bug is dead-lettered, never the transient failure"
    headers = {k: v.decode() for k, v in dead[0].headers}
    assert headers["kefu-dlq-reason"] == "handler_error" and "KeyError" in headers["kefu-dlq-error"]
    assert headers["kefu-dlq-original-offset"] == str(5)
    assert "event_id" in dead[0].value.decode() and ids[5] in dead[0].value.decode()
    metrics = kit.registry.get_sample_value("kefu_batch_isolations_total", {"topic": topic})
    assert metrics == 1


async def test_a_batch_is_decoded_and_handled_without_a_hop_to_a_worker_thread(infra, namespace, producer,
                                                                              monkeypatch):
    """FastStream runs a plain-function decoder or handler in a worker thread: a thread hop per batch,
    a tenth of intake's CPU under load. The kit's decoder is a coroutine, so none is taken."""
    import faststream._internal.utils.functions as functions

    hops: list[str] = []
    original = functions.run_in_threadpool

    async def counted(func, *args, **kwargs):  # type: ignore[no-untyped-def]
        hops.append(getattr(func, "__name__", repr(func)))
        return await original(func, *args, **kwargs)

    monkeypatch.setattr(functions, "run_in_threadpool", counted)
    settings = BatchSettings(kafka_bootstrap=infra.kafka_bootstrap, mongo_url=infra.mongo_url, namespace=namespace)
    kit = ServiceKit(settings)
    await ensure_topics(settings.kafka_bootstrap, settings.topics.all_physical())
    topic = settings.topics(CALL_RECEIVED)
    for i in range(5):
        await send_json(producer, topic, call_payload(i), key=f"k{i}")
    handled: list[str] = []

    @subscribe_batches(kit, CALL_RECEIVED, max_records=100, batch_timeout_ms=50)
    async def handle(batch: Batch[CallReceived]) -> None:
        handled.extend(c.event_id for c in batch.events_in)

    await kit.broker.start()
    try:
        await eventually(lambda: asyncio.sleep(0, result=list(handled)), lambda h: len(h) == 5, what="5 handled")
    finally:
        await kit.broker.stop()
        await kit.mongo.close()
    assert hops == [], f"worker-thread hops: {hops}"
