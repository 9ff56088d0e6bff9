"""The consumer guard on a real broker: transient failures are retried, not dead-lettered;
a handler bug dead-letters that one message and the partition moves on."""

from __future__ import annotations

import asyncio
from typing import ClassVar

import pytest
from kefu_contracts import CALL_RECEIVED, CallReceived
from kefu_kit import ServiceKit, ServiceSettings, ensure_topics, subscriber_options
from pymongo.errors import AutoReconnect

from support.kafka_io import call_payload, read_all, send_json
from support.lag import lag
from support.waiting import eventually

pytestmark = pytest.mark.integration


class GuardSettings(ServiceSettings):
    service: ClassVar[str] = "guardtest"


async def test_transient_failures_are_retried_and_bugs_dead_lettered(infra, namespace, producer):
    settings = GuardSettings(kafka_bootstrap=infra.kafka_bootstrap, mongo_url=infra.mongo_url,
                             namespace=namespace, retry_initial_s=0.05, retry_max_s=0.2)
    kit = ServiceKit(settings)
    await ensure_topics(settings.kafka_bootstrap, settings.topics.all_physical())
    attempts: dict[str, int] = {}
    handled: list[str] = []
    flaky, buggy, fine = call_payload(1), call_payload(2, body="BUG"), call_payload(3)

    @kit.broker.subscriber(settings.topics(CALL_RECEIVED), **subscriber_options(settings))
    async def handle(call: CallReceived) -> None:
        attempts[call.event_id] = attempts.get(call.event_id, 0) + 1
        if call.event_id == flaky["event_id"] and attempts[call.event_id] <= 3:
            raise AutoReconnect("store unreachable")
        if call.body == "BUG":
            raise KeyError("a bug in the handler")
        handled.append(call.event_id)

    topic = settings.topics(CALL_RECEIVED)
    await kit.broker.start()
    try:
        for payload in (flaky, buggy, fine):
            await send_json(producer, topic, payload, key="one-partition")
        await eventually(lambda: asyncio.sleep(0, result=list(handled)), lambda h: len(h) == 2, what="2 handled")
        await eventually(lambda: lag(infra.kafka_bootstrap, settings.group_id, topic), lambda n: n == 0,
                         what="all committed")
    finally:
        await kit.broker.stop()
        await kit.mongo.close()

    assert handled == [flaky["event_id"], fine["event_id"]]  # order kept, nothing lost
    assert attempts[flaky["event_id"]] == 4
    dead = await read_all(infra, topic + ".dlq", 1000)
    assert len(dead) == 1, "only the bug is dead-lettered, never the transient failure"
    headers = {k: v.decode() for k, v in dead[0].headers}
    assert headers["kefu-dlq-reason"] == "handler_error"
    assert "KeyError" in headers["kefu-dlq-error"]
    assert headers["kefu-dlq-consumer-group"] == settings.group_id
