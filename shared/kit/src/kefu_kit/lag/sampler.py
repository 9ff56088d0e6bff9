"""One observation of every watched group's partitions, read from Kafka (aiokafka 0.14).

Per group: committed offsets (admin offset fetch), log start and end offsets (a group-less
consumer), commit times (``CommitLog``) and the lag in seconds: the age of the record *at* the
committed offset, i.e. of the oldest message the group has not processed, read from the log
rather than interpolated (docs/lag.md says why). Record timestamps never change, so the
timestamp found for a (topic, partition, offset) is cached while the group stays there.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from .commits import CommitLog
from .evaluation import Observation
from .report import PartitionKey

_PEEK_TIMEOUT_S = 10.0


class KafkaLagSource:
    """Reads observations for the groups ``wanted`` accepts; ``start`` before, ``close`` after."""

    def __init__(self, bootstrap: str, wanted: Callable[[str], bool], lookback_s: float) -> None:
        self._bootstrap = bootstrap
        self._commits = CommitLog(bootstrap, wanted, lookback_s)
        self._wanted = wanted
        self._timestamps: dict[tuple[str, int, int], float] = {}
        self._closers: list[Callable[[], Awaitable[None]]] = []

    async def start(self) -> None:
        """Connect (clients are made here, not in ``__init__``, so a monitor can be built outside a loop)."""
        self._admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap)
        self._peek = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap, group_id=None, enable_auto_commit=False, auto_offset_reset="earliest"
        )
        self._closers = []
        try:
            for start, close in (
                (self._admin.start, self._admin.close),
                (self._peek.start, self._peek.stop),
                (self._commits.start, self._commits.close),
            ):
                self._closers.append(close)
                await start()
        except BaseException:
            await self.close()  # a monitor retried while Kafka is down must not leak clients
            raise

    async def close(self) -> None:
        while self._closers:
            await self._closers.pop()()

    async def observe(self) -> dict[PartitionKey, Observation]:
        """Every partition of every topic the watched groups have committed on, as of now."""
        committed = await self._committed_offsets()
        await self._commits.catch_up()
        await self._peek._client.force_metadata_update()  # noqa: SLF001 - see new and deleted topics now
        topics = {topic for _, topic, _ in committed}
        existing = {t: self._peek.partitions_for_topic(t) or set() for t in topics}
        keys = sorted({PartitionKey(g, t, p) for g, t, _ in committed for p in existing[t]})
        tps = sorted({TopicPartition(k.topic, k.partition) for k in keys})
        if not tps:
            return {}
        starts = await self._peek.beginning_offsets(tps)
        ends = await self._peek.end_offsets(tps)
        now = time.time()
        # The oldest waiting record: at the committed offset (at the log start if never committed, or
        # if retention deleted records the group had not read yet).
        first_waiting: dict[PartitionKey, int] = {}
        for key in keys:
            tp = TopicPartition(key.topic, key.partition)
            offset = max(committed.get(key) or 0, starts[tp])
            if offset < ends[tp]:
                first_waiting[key] = offset
        stamps = await self._record_timestamps({(k.topic, k.partition, off) for k, off in first_waiting.items()})
        out: dict[PartitionKey, Observation] = {}
        for key in keys:
            tp, position = TopicPartition(key.topic, key.partition), committed.get(key)
            waiting_since = stamps.get((key.topic, key.partition, first_waiting[key])) if key in first_waiting else None
            out[key] = Observation(
                at=now, committed=position, end=ends[tp],
                lag=max(ends[tp] - (position if position is not None else starts[tp]), 0),
                lag_seconds=max(now - waiting_since, 0.0) if waiting_since is not None else 0.0,
                last_commit_at=self._commits.last_commit_at.get(key),
            )
        return out

    async def _committed_offsets(self) -> dict[PartitionKey, int | None]:
        groups = sorted(g for g, *_ in await self._admin.list_consumer_groups() if self._wanted(g))
        out: dict[PartitionKey, int | None] = {}
        for group in groups:
            for tp, meta in (await self._admin.list_consumer_group_offsets(group)).items():
                out[PartitionKey(group, tp.topic, tp.partition)] = meta.offset if meta.offset >= 0 else None
        return out

    async def _record_timestamps(self, wanted: set[tuple[str, int, int]]) -> dict[tuple[str, int, int], float]:
        """Timestamp (epoch s) of the first record at or after each (topic, partition, offset)."""
        found = {k: self._timestamps[k] for k in wanted if k in self._timestamps}
        todo = {TopicPartition(t, p): off for t, p, off in wanted if (t, p, off) not in found}
        if todo:
            found.update(await self._fetch_timestamps(todo))
        self._timestamps = found  # only what is still waiting: the cache never grows past the partitions
        return found

    async def _fetch_timestamps(self, todo: dict[TopicPartition, int]) -> dict[tuple[str, int, int], float]:
        """Seek each partition to its offset and take the first record's timestamp (empties ``todo``)."""
        found: dict[tuple[str, int, int], float] = {}
        self._peek.assign(list(todo))
        for tp, offset in todo.items():
            self._peek.seek(tp, offset)
        deadline = time.monotonic() + _PEEK_TIMEOUT_S
        while todo and time.monotonic() < deadline:
            batches = await self._peek.getmany(*todo, timeout_ms=500)
            for tp, records in batches.items():
                if tp in todo and records:
                    found[(tp.topic, tp.partition, todo.pop(tp))] = records[0].timestamp / 1000.0
                    self._peek.pause(tp)
        self._peek.assign([])
        return found
