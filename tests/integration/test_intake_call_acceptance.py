"""POST /calls' acceptance on the real store and broker when a send is not acked: nothing is marked accepted,
and the retry publishes the very event that was stored, once.

The failed send is the one thing not real here: the shared broker cannot be taken down for one test (and it
creates a missing topic on the first send, and does not enforce ``min.insync.replicas`` above a topic's one
replica, so neither makes a send fail). The first attempt's publish raises what aiokafka raises when the
broker is unreachable; the route answers it 503 (the kit maps Kafka's transient errors and timeouts).
"""

from __future__ import annotations

import asyncio
import json

import pytest
from aiokafka.errors import KafkaConnectionError
from kefu_contracts import CALL_RECEIVED
from kefu_intake.accepting import CallAcceptance
from kefu_intake.adapters.accepted import AcceptedCalls, event_key
from kefu_intake.adapters.store import ensure_indexes
from kefu_intake.api_models import CallSubmission
from kefu_intake.settings import Settings
from kefu_kit import ServiceKit, ensure_topics
from kefu_kit.auth import Principal

from support.kafka_io import read_all

pytestmark = pytest.mark.integration

ADAPTER = Principal("web-form", "channel_adapter", None)


async def test_a_call_the_broker_cannot_ack_is_not_accepted_and_its_retry_publishes_it_once(infra, namespace, mongo):
    settings = Settings(namespace=namespace, kafka_bootstrap=infra.kafka_bootstrap, mongo_url=infra.mongo_url)
    kit = ServiceKit(settings)
    publish = kit.publisher(CALL_RECEIVED)
    db = mongo[settings.database]
    await ensure_indexes(db)
    accepted = AcceptedCalls(db)
    broker_up = False

    async def send(event):
        if not broker_up:
            raise KafkaConnectionError("Unable to bootstrap from [('127.0.0.1', 9092)]")
        await asyncio.wait_for(publish(event), 10.0)

    acceptance = CallAcceptance(accepted, send, publish_wait_s=4.0)
    call = CallSubmission.model_validate({"channel": "web", "caller": {"email": "zhao@example.com"},
                                          "body": "网上报修：厨房水龙头滴水", "external_ref": "form-77"})
    await kit.broker.start()
    try:
        with pytest.raises(KafkaConnectionError):  # what the route answers 503
            await acceptance.accept(call, ADAPTER)
        (ref,) = await db.accepted_calls.find({"_id": "ref:web:form-77"}).to_list()
        stored = await db.accepted_calls.find_one({"_id": event_key(ref["event"]["event_id"])})
        assert stored["published"] is False  # not reported accepted

        await ensure_topics(infra.kafka_bootstrap, [(settings.topics(CALL_RECEIVED), 6)])
        broker_up = True
        event_id = await acceptance.accept(call, ADAPTER)
        assert event_id == ref["event"]["event_id"]  # the call stored at the first attempt, not a new one
        assert await acceptance.accept(call, ADAPTER) == event_id
        assert await accepted.is_published(event_key(event_id))
    finally:
        await kit.broker.stop()
        await kit.mongo.close()
    messages = await read_all(infra, settings.topics(CALL_RECEIVED), 2000)
    assert [json.loads(m.value)["event_id"] for m in messages] == [event_id]
    assert json.loads(messages[0].value) == ref["event"]


async def test_keys_older_than_the_retention_are_pruned_and_newer_ones_kept(namespace, mongo):
    from datetime import datetime, timedelta, timezone

    db = mongo[f"{namespace}_kefu_intake"]
    await ensure_indexes(db)
    accepted = AcceptedCalls(db)
    now = datetime.now(timezone.utc)
    for key, age in (("event:old", 8), ("ref:web:old", 8), ("event:new", 1)):
        await accepted.claim(key, {"event_id": key}, "fp", now - timedelta(days=age))
    assert await accepted.prune(now - timedelta(days=7)) == 2
    assert [d["_id"] for d in await db.accepted_calls.find({}).to_list()] == ["event:new"]
