"""``kefu rebuild dashboard``: the read model again from the log, through the same projection.

Reads every topic the dashboard consumes from its beginning up to the end
offsets taken at the start (no consumer group), applies each event as the live
service does (``ingest``, without the live feed), into a fresh database. Into
the live database, the service must be stopped (the group has no members):
the database is dropped first, and at the end the group's offsets are set to
those end offsets, so the restarted service goes on from where the rebuild
stopped, neither skipping nor repeating an event (a repeat would be harmless:
the projection is idempotent).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import pydantic
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from kefu_kit import make_client

from .ingest import ingest, parse
from .projection import CONSUMED
from .settings import Settings
from .store import CaseStore, ensure_indexes


class RebuildRefused(RuntimeError):
    """The rebuild did not start (and changed nothing): the message says why."""


class ServiceRunning(RebuildRefused):
    """The dashboard's consumer group has active members: rebuilding its live store now would race them."""


class NoTopics(RebuildRefused):
    """None of the topics exists: most likely a wrong namespace or bootstrap server."""


@dataclass
class RebuildResult:
    database: str
    live: bool
    events: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    end_offsets: dict[str, dict[int, int]] = field(default_factory=dict)


async def group_members(bootstrap: str, group: str) -> int:
    """How many consumers are in ``group`` now (0 when it is empty or unknown)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="kefu-rebuild")
    await admin.start()
    try:
        described = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    return sum(len(g[5]) for response in described for g in response.groups if g[1] == group)


async def refuse_if_running(settings: Settings) -> None:
    members = await group_members(settings.kafka_bootstrap, settings.group_id)
    if members:
        raise ServiceRunning(
            f"consumer group {settings.group_id} has {members} active member(s): the dashboard service is running. "
            "Stop every instance first (a rebuild into another database with --into needs no stop)."
        )


async def rebuild(settings: Settings, into: str | None = None,
                  progress: Callable[[str], None] = lambda _line: None) -> RebuildResult:
    """Rebuild into ``into`` (a database name), or into the service's own database when None."""
    live = into in (None, settings.database)
    result = RebuildResult(database=settings.database if live else str(into), live=live)
    if live:
        await refuse_if_running(settings)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=None,
                                enable_auto_commit=False, client_id="kefu-rebuild")
    mongo = make_client(settings.mongo_url, "kefu-rebuild")
    await consumer.start()
    try:
        topics = [settings.topics(t) for t in CONSUMED]
        partitions = await _partitions(consumer, topics)
        if not partitions:
            raise NoTopics(f"none of {', '.join(topics)} exists on {settings.kafka_bootstrap}: "
                           "check --namespace and --bootstrap")
        end = await consumer.end_offsets(partitions)
        for tp in partitions:
            result.end_offsets.setdefault(settings.topics.logical(tp.topic), {})[tp.partition] = end[tp]
        progress(f"reading {len(partitions)} partitions up to {sum(end.values())} messages in all")
        await mongo.drop_database(result.database)
        db = mongo[result.database]
        await ensure_indexes(db)
        store = CaseStore(db)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        remaining = {tp for tp in partitions if await consumer.position(tp) < end[tp]}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, records in batch.items():
                topic = settings.topics.logical(tp.topic)
                for record in records:
                    if record.offset >= end[tp]:
                        break
                    try:
                        event = parse(topic, record.value or b"")
                    except (pydantic.ValidationError, ValueError):
                        result.skipped[topic] += 1  # dead-lettered live too
                        continue
                    await ingest(topic, event, store, live=False)
                    result.events[topic] += 1
                if await consumer.position(tp) >= end[tp]:
                    remaining.discard(tp)
            progress(f"applied {sum(result.events.values())} events")
    finally:
        await consumer.stop()
        await mongo.close()
    if live:
        await refuse_if_running(settings)
        await _commit(settings, {tp: end[tp] for tp in partitions})
    return result


async def _partitions(consumer: AIOKafkaConsumer, topics: list[str]) -> list[TopicPartition]:
    await consumer._client.force_metadata_update()  # noqa: SLF001 - partitions of topics it never subscribed to
    return [TopicPartition(topic, p) for topic in topics for p in sorted(consumer.partitions_for_topic(topic) or ())]


async def _commit(settings: Settings, offsets: dict[TopicPartition, int]) -> None:
    """Set the service's group to ``offsets``: it continues from where the rebuild stopped."""
    committer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=settings.group_id,
                                 enable_auto_commit=False, client_id="kefu-rebuild")
    await committer.start()
    try:
        committer.assign(list(offsets))
        await committer.commit(offsets)
    finally:
        await committer.stop()
