"""Kafka plumbing: the broker every service uses, topic creation, and publishing events.

At-least-once with exactly-once effects rests on three settings made here once:
a consumer group per service, an acknowledging policy (FastStream's default,
ACK_FIRST, commits before the handler runs and so can lose messages), and an
idempotent producer with ``acks=all``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from kefu_contracts import TOPICS, Event

from .backoff import retry
from .logging import get_logger
from .telemetry import telemetry_middleware

if TYPE_CHECKING:
    from faststream.kafka.publisher.usecase import LogicPublisher
    from prometheus_client import CollectorRegistry

    from .dead_letter import ConsumeGuard
    from .settings import ServiceSettings

log = get_logger(__name__)

JSON_HEADERS = {"content-type": "application/json"}


def make_broker(settings: "ServiceSettings", guard: "ConsumeGuard", registry: "CollectorRegistry") -> KafkaBroker:
    """The service's broker: idempotent acks=all producer, commit-after-effects consumers, DLQ guard."""
    return KafkaBroker(
        settings.kafka_bootstrap,
        client_id=f"kefu-{settings.service}",
        acks="all",
        enable_idempotence=True,
        linger_ms=2,
        # An exception that escapes the guard (only a failed dead-letter publish can) rewinds
        # the partition instead of committing past an unhandled message.
        ack_policy=AckPolicy.NACK_ON_ERROR,
        graceful_timeout=settings.graceful_timeout_s,
        allow_auto_create_topics=False,
        middlewares=[
            KafkaPrometheusMiddleware(registry=registry, app_name=f"kefu-{settings.service}"),
            telemetry_middleware(settings.service, registry),
            guard,
        ],
        logger=logging.getLogger(f"kefu.{settings.service}.faststream"),
        log_level=logging.DEBUG,
        description=f"kefu {settings.service} service",
    )


def subscriber_options(settings: "ServiceSettings") -> dict[str, Any]:
    """Options every subscriber of a service shares: its group, and no message skipped on first start."""
    return {"group_id": settings.group_id, "auto_offset_reset": "earliest"}


def publisher_for(broker: KafkaBroker, settings: "ServiceSettings", logical_topic: str) -> "LogicPublisher":
    """A documented publisher (AsyncAPI) for one of the contract topics."""
    spec = TOPICS[logical_topic]
    return broker.publisher(
        settings.topics(logical_topic),
        schema=spec.model,
        description=f"{spec.description}. Key: {spec.key}.",
        headers=JSON_HEADERS,
    )


async def publish_event(publisher: "LogicPublisher", event: Event) -> None:
    """Publish ``event`` as contract JSON with its contract key, waiting for the broker's ack."""
    await (await send_event(publisher, event))


async def send_event(publisher: "LogicPublisher", event: Event) -> "Awaitable[Any]":
    """Hand ``event`` to the producer and return its ack, not yet awaited.

    Events sent one after another keep that order on their partition (the idempotent
    producer keeps it through retries), so a sequence of events goes out as sends in
    order and one wait for all their acks. Awaiting each publish instead costs a broker
    round trip per event and, through FastStream's publish middlewares, more than twice
    the CPU (measured: 281 against 123 us an event)."""
    return await publisher.publish(event.to_json_bytes(), key=event.kafka_key().encode("utf-8"),
                                   headers=JSON_HEADERS, no_confirm=True)


class EventPublisher:
    """Events to their contract topics, each with its contract key.

    ``await p(event)`` publishes one and waits for its ack; ``publish_all(events)``
    sends them all in order, then waits once for every ack. This is the kit's one way
    to publish: batch consumers, aggregate stores and outbox relays all go through it
    (``publish_all``, below, also takes a plain ``async (event) -> None``).
    """

    def __init__(self, publishers: "dict[type[Event], LogicPublisher]") -> None:
        self._publishers = publishers

    async def __call__(self, event: Event) -> None:
        await publish_event(self._publishers[type(event)], event)

    async def send(self, event: Event) -> "Awaitable[Any]":
        return await send_event(self._publishers[type(event)], event)

    async def publish_all(self, events: Sequence[Event]) -> None:
        acks = [await self.send(event) for event in events]
        if acks:
            await asyncio.gather(*acks)


Publish = Callable[[Event], Awaitable[None]]


async def publish_all(publish: "EventPublisher | Publish", events: Sequence[Event]) -> None:
    """``events`` in their order: all sent, then every ack awaited (an ``EventPublisher``), or one after
    the other (any other ``async (event) -> None``, such as a test's recorder)."""
    if isinstance(publish, EventPublisher):
        await publish.publish_all(events)
        return
    for event in events:
        await publish(event)


async def ensure_topics(
    bootstrap: str, topics: list[tuple[str, int]], replication_factor: int = 1, *, attempts: int = 60
) -> None:
    """Create the topics that are missing (their partitions as the contracts say); wait for Kafka first.

    Several services may race to create the same topic; "already exists" is success.
    """
    admin = await _connected_admin(bootstrap, attempts)
    try:
        existing = set(await admin.list_topics())
        missing = [NewTopic(name, partitions, replication_factor) for name, partitions in topics if name not in existing]
        if missing:
            try:
                response = await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                response = None
            for topic, code, *_ in getattr(response, "topic_errors", None) or getattr(response, "topics", []) or []:
                if code not in (0, TopicAlreadyExistsError.errno):
                    raise RuntimeError(f"could not create topic {topic}: error code {code}")
            log.info("topics created", topics=[t.name for t in missing])
    finally:
        await admin.close()


async def _connected_admin(bootstrap: str, attempts: int) -> AIOKafkaAdminClient:
    async def connect() -> AIOKafkaAdminClient:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="kefu-admin")
        try:
            await admin.start()
        except Exception:
            await admin.close()
            raise
        return admin

    def waiting(exc: BaseException, wait_s: float, attempt: int) -> None:  # Kafka not up yet: wait, loudly
        log.warning("kafka not reachable yet", bootstrap=bootstrap, attempt=attempt, error=repr(exc),
                    retry_in_s=round(wait_s, 2))

    return await retry(connect, initial_s=0.2, max_s=5.0, attempts=attempts, on_retry=waiting)
