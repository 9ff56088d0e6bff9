"""Kafka plumbing for ``kefu dlq``: offsets, reading spans, republishing, deleting, the action log.

Everything that talks to the cluster is here and nothing else is: the commands
decide what to do with pure functions and call these few operations.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, RecordsToDelete
from aiokafka.errors import KafkaConnectionError, KafkaError
from kefu_kit import ensure_topics

from . import dlq_actions
from .dlq_ranges import Span
from .dlq_records import DeadLetter, replay_headers

CLIENT_ID = "kefu-dlq-cli"
# A span must make progress within this many seconds; a stuck read is reported, not waited on forever.
READ_STALL_S = 15.0


class KafkaUnreachable(RuntimeError):
    """Kafka did not answer at the bootstrap address."""


class DlqKafka:
    """One connection to the cluster for one command (``async with DlqKafka(bootstrap) as kafka``)."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self._admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id=CLIENT_ID)
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, client_id=CLIENT_ID, group_id=None, enable_auto_commit=False
        )
        self._producer: AIOKafkaProducer | None = None

    async def __aenter__(self) -> "DlqKafka":
        try:
            await self._admin.start()
            await self._consumer.start()
        except KafkaConnectionError as exc:
            await self._close()
            raise KafkaUnreachable(f"Kafka is not reachable at {self.bootstrap} ({exc})") from exc
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self._close()

    async def _close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
        await self._consumer.stop()
        await self._admin.close()

    async def partitions(self, topics: Iterable[str]) -> dict[str, list[int]]:
        """Partition ids of each topic that exists (missing topics are left out)."""
        wanted = set(topics)
        # Only topics that exist are described: a metadata request naming a missing topic creates it
        # on a broker with auto.create.topics.enable, and looking must never create anything.
        names = sorted(wanted & set(await self._admin.list_topics()))
        if not names:
            return {}
        described = await self._admin.describe_topics(names)
        return {
            t["topic"]: sorted(p["partition"] for p in t["partitions"])
            for t in described if t["error_code"] == 0 and t["partitions"]
        }

    async def watermarks(self, partitions: dict[str, list[int]]) -> dict[tuple[str, int], tuple[int, int]]:
        """``(low, high)`` per partition: low rises when records are deleted, high is the next offset."""
        tps = [TopicPartition(t, p) for t, ps in partitions.items() for p in ps]
        if not tps:
            return {}
        lows = await self._consumer.beginning_offsets(tps)
        highs = await self._consumer.end_offsets(tps)
        return {(tp.topic, tp.partition): (lows[tp], highs[tp]) for tp in tps}

    async def read(self, spans: dict[str, list[Span]]) -> list[DeadLetter]:
        """Every record in the given spans, in topic, partition and offset order."""
        wanted = {TopicPartition(t, s.partition): s for t, ss in spans.items() for s in ss if s.count > 0}
        out: list[DeadLetter] = []
        if not wanted:
            return out
        self._consumer.assign(list(wanted))
        for tp, span in wanted.items():
            self._consumer.seek(tp, span.start)
        pending = set(wanted)
        loop = asyncio.get_running_loop()
        last_progress = loop.time()
        while pending:
            batch = await self._consumer.getmany(*pending, timeout_ms=500)
            for tp, records in batch.items():
                span = wanted[tp]
                out.extend(DeadLetter.from_record(r) for r in records if span.start <= r.offset < span.stop)
            for tp in list(pending):
                if await self._consumer.position(tp) >= wanted[tp].stop:
                    pending.discard(tp)
            if batch:
                last_progress = loop.time()
            elif loop.time() - last_progress > READ_STALL_S:
                stuck = ", ".join(f"{tp.topic}/{tp.partition}" for tp in pending)
                raise KafkaError(f"reading {stuck} made no progress for {READ_STALL_S:.0f}s")
        self._consumer.unsubscribe()
        return sorted(out, key=lambda d: (d.dlq_topic, d.partition, d.offset))

    async def republish(self, letters: list[DeadLetter], now: datetime) -> list[tuple[DeadLetter, Any]]:
        """Send each letter back to its original topic: same key and value bytes, replay headers.

        Idempotent producer with acks=all; sent in order, so one key's messages keep their order.
        """
        producer = await self._ensure_producer()
        pending = [
            (letter, await producer.send(letter.original_topic, letter.value, key=letter.key,
                                         headers=replay_headers(letter, now)))
            for letter in letters
        ]
        return [(letter, await future) for letter, future in pending]

    async def delete_before(self, topic: str, before: dict[int, int]) -> dict[int, int]:
        """Delete every record below ``before[partition]``; returns each partition's new low watermark."""
        done = await self._admin.delete_records(
            {TopicPartition(topic, p): RecordsToDelete(before_offset=o) for p, o in before.items()}, timeout_ms=30000
        )
        return {tp.partition: low for tp, low in done.items()}

    async def record_action(self, namespace: str, record: dict[str, Any]) -> None:
        """Append a replay/purge record to the operations topic (created with one partition if missing)."""
        topic = dlq_actions.ops_topic(namespace)
        if not await self.partitions([topic]):
            with contextlib.redirect_stdout(sys.stderr):  # the kit's log line must not mix with --json output
                await ensure_topics(self.bootstrap, [(topic, 1)], attempts=3)
        producer = await self._ensure_producer()
        await producer.send_and_wait(topic, dlq_actions.encode(record), key=record["dlq_topic"].encode())

    async def history(self, namespace: str) -> list[dict[str, Any]]:
        """Every recorded action, oldest first (none when the operations topic does not exist yet)."""
        topic = dlq_actions.ops_topic(namespace)
        partitions = await self.partitions([topic])
        if not partitions:
            return []
        marks = await self.watermarks(partitions)
        spans = {topic: [Span(p, *marks[(topic, p)]) for p in partitions[topic]]}
        return [r for r in (dlq_actions.decode(d.value) for d in await self.read(spans)) if r is not None]

    async def _ensure_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = AIOKafkaProducer(
                bootstrap_servers=self.bootstrap, client_id=CLIENT_ID, enable_idempotence=True, acks="all"
            )
            await producer.start()
            self._producer = producer
        return self._producer
