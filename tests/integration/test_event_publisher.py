"""The kit's one publisher on a real broker: ``publish_all`` sends a sequence, then waits once for the acks,
and each key's events still land in their order; ``await publisher(event)`` returns once Kafka has it."""

from __future__ import annotations

from typing import ClassVar

import pytest
from kefu_contracts import CALL_RECEIVED, CallReceived
from kefu_kit import ServiceKit, ServiceSettings, ensure_topics, publish_all

from support.kafka_io import call_payload, read_all

pytestmark = pytest.mark.integration


class PublisherSettings(ServiceSettings):
    service: ClassVar[str] = "publishertest"


async def test_publish_all_keeps_each_keys_order_and_a_single_publish_is_acknowledged(infra, namespace):
    settings = PublisherSettings(kafka_bootstrap=infra.kafka_bootstrap, mongo_url=infra.mongo_url,
                                 namespace=namespace)
    kit = ServiceKit(settings)
    await ensure_topics(settings.kafka_bootstrap, settings.topics.all_physical())
    publish = kit.publisher(CALL_RECEIVED)
    # three callers (keys), 40 calls each, interleaved as a batch of several aggregates' events would be
    events = [CallReceived.model_validate(call_payload(i, caller={"name": "王", "phone": f"1390000000{i % 3}"}))
              for i in range(120)]
    await kit.broker.start()
    try:
        await publish_all(publish, events)
        last = CallReceived.model_validate(call_payload(999))
        await publish(last)
        records = await read_all(infra, settings.topics(CALL_RECEIVED), 3000)
    finally:
        await kit.broker.stop()
        await kit.mongo.close()

    seen = [CallReceived.model_validate_json(r.value) for r in records]
    assert sorted(e.event_id for e in seen) == sorted([e.event_id for e in events] + [last.event_id])
    for phone in {e.caller.phone for e in events}:
        sent = [e.event_id for e in events if e.caller.phone == phone]
        landed = [e.event_id for e in seen if e.caller.phone == phone]
        assert landed == sent, f"events of one key out of order ({phone[-1]})"
        assert len({r.partition for r, e in zip(records, seen) if e.caller.phone == phone}) == 1
