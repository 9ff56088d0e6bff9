"""Commit times from ``__consumer_offsets``, the way Burrow gets them.

Kafka's offset fetch API gives a group's committed offsets but not *when* they were
committed; telling STALL (still committing) from STOP (silent) needs that time. The group
coordinator writes every commit to the internal topic ``__consumer_offsets`` as a record whose
value carries ``commitTimestamp``. This module parses those records (``parse_commit``, pure)
and follows the topic (``CommitLog``).

Formats handled (Kafka's group-coordinator ``OffsetCommitKey.json`` / ``OffsetCommitValue.json``):
- key: int16 record type, then for types 0 and 1 (offset commits) group (string), topic (string),
  partition (int32); other types (2 group metadata, 3+ the new consumer protocol's records) are skipped;
- value: int16 version, then v0/v2 offset int64, metadata string, commitTimestamp int64;
  v1 the same plus expireTimestamp; v3 offset, leaderEpoch int32, metadata, commitTimestamp;
  v4 (flexible, written by Kafka 4) like v3 with a compact string and tagged fields after;
  an unknown newer version is skipped; a null value is a tombstone (the offset was deleted).
Strings are int16-length-prefixed (compact: unsigned varint length + 1).
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition

OFFSETS_TOPIC = "__consumer_offsets"
_OFFSET_COMMIT_KEY_TYPES = (0, 1)


@dataclass(frozen=True)
class Commit:
    """One offset commit (``committed_at`` epoch seconds), or its deletion (``deleted``)."""

    group: str
    topic: str
    partition: int
    offset: int | None
    committed_at: float | None
    deleted: bool = False


def parse_commit(key: bytes | None, value: bytes | None) -> Commit | None:
    """The commit a ``__consumer_offsets`` record holds; None for other, unknown or malformed records."""
    try:
        return _parse(key, value)
    except (struct.error, IndexError, UnicodeDecodeError):
        return None  # one unreadable record must not blind the monitor to every later commit


def _parse(key: bytes | None, value: bytes | None) -> Commit | None:
    if not key or len(key) < 2:
        return None
    (key_type,) = struct.unpack_from(">h", key, 0)
    if key_type not in _OFFSET_COMMIT_KEY_TYPES:
        return None
    group, pos = _string(key, 2)
    topic, pos = _string(key, pos)
    (partition,) = struct.unpack_from(">i", key, pos)
    if value is None:
        return Commit(group, topic, partition, None, None, deleted=True)
    (version,) = struct.unpack_from(">h", value, 0)
    if version > 4:
        return None
    (offset,) = struct.unpack_from(">q", value, 2)
    pos = 10
    if version >= 3:
        pos += 4  # leaderEpoch
    _metadata, pos = _compact_string(value, pos) if version >= 4 else _string(value, pos)
    (commit_ms,) = struct.unpack_from(">q", value, pos)
    return Commit(group, topic, partition, offset, commit_ms / 1000.0)


def _string(data: bytes, pos: int) -> tuple[str, int]:
    (length,) = struct.unpack_from(">h", data, pos)
    pos += 2
    if length < 0:
        return "", pos
    return data[pos:pos + length].decode(), pos + length


def _compact_string(data: bytes, pos: int) -> tuple[str, int]:
    length_plus_one, pos = _uvarint(data, pos)
    if length_plus_one == 0:
        return "", pos
    end = pos + length_plus_one - 1
    return data[pos:end].decode(), end


def _uvarint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


class CommitLog:
    """Follows ``__consumer_offsets`` and remembers the latest commit time per group partition.

    It starts ``lookback_s`` seconds in the past (the topic holds every commit since the last
    compaction: hundreds of thousands of records on a busy cluster), so a partition with no
    commit seen means "not committed within the lookback". Only groups ``wanted`` accepts are kept.
    The consumer has no group and is *assigned* the topic's partitions: ``exclude_internal_topics``
    only filters subscriptions by pattern, not assignment. Needs Describe and Read on the topic.
    """

    def __init__(self, bootstrap: str, wanted: Callable[[str], bool], lookback_s: float) -> None:
        self._bootstrap = bootstrap
        self._wanted = wanted
        self._lookback_s = lookback_s
        self._partitions: list[TopicPartition] = []
        self.last_commit_at: dict[tuple[str, str, int], float] = {}

    async def start(self) -> None:
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap, group_id=None, enable_auto_commit=False, auto_offset_reset="earliest"
        )
        await self._consumer.start()
        numbers = self._consumer.partitions_for_topic(OFFSETS_TOPIC)
        if not numbers:
            # internal topics are missing from the first metadata the consumer fetches
            await self._consumer._client.force_metadata_update()  # noqa: SLF001
            numbers = self._consumer.partitions_for_topic(OFFSETS_TOPIC) or set()
        self._partitions = [TopicPartition(OFFSETS_TOPIC, p) for p in sorted(numbers)]
        if not self._partitions:
            raise RuntimeError(f"cannot see {OFFSETS_TOPIC}: the lag monitor needs Describe and Read on it")
        self._consumer.assign(self._partitions)
        since_ms = int((time.time() - self._lookback_s) * 1000)
        starts = await self._consumer.offsets_for_times({tp: since_ms for tp in self._partitions})
        ends = await self._consumer.end_offsets(self._partitions)
        for tp in self._partitions:
            found = starts.get(tp)
            self._consumer.seek(tp, found.offset if found is not None else ends[tp])

    async def catch_up(self, timeout_s: float = 30.0) -> None:
        """Read every commit written so far (up to the end offsets as of this call)."""
        ends = await self._consumer.end_offsets(self._partitions)
        deadline = time.monotonic() + timeout_s
        while [tp for tp in self._partitions if await self._consumer.position(tp) < ends[tp]]:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{OFFSETS_TOPIC} not read to its end in {timeout_s}s")
            batches = await self._consumer.getmany(timeout_ms=500, max_records=5000)
            for records in batches.values():
                for record in records:
                    self._apply(parse_commit(record.key, record.value))

    def _apply(self, commit: Commit | None) -> None:
        if commit is None or not self._wanted(commit.group):
            return
        key = (commit.group, commit.topic, commit.partition)
        if commit.deleted:
            self.last_commit_at.pop(key, None)
        elif commit.committed_at is not None:
            self.last_commit_at[key] = commit.committed_at

    async def close(self) -> None:
        await self._consumer.stop()
