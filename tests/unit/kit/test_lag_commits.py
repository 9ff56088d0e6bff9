"""Parsing ``__consumer_offsets`` records: every offset-commit value version, tombstones, other records."""

from __future__ import annotations

import struct

import pytest
from kefu_kit.lag.commits import Commit, parse_commit

# A record read from the local Kafka 4.3 broker (key type 1, value v4 with the topic id tagged field).
REAL_KEY = b"\x00\x01\x00\x19t32024c8186f2.kefu-intake\x00\x1bt32024c8186f2.call.received\x00\x00\x00\x00"
REAL_VALUE = (
    b"\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\x01\x00\x00\x01\xa2\x064\xa54"
    b"\x01\x00\x10tjw\xa3\xa4XN\x0f\xa5\x17\xbd\x8f\xdf\xac\xf4e"
)


def s16(text: str) -> bytes:
    raw = text.encode()
    return struct.pack(">h", len(raw)) + raw


def key(group: str = "kefu-routing", topic: str = "case.opened", partition: int = 3, key_type: int = 1) -> bytes:
    return struct.pack(">h", key_type) + s16(group) + s16(topic) + struct.pack(">i", partition)


META = "consumer metadata 元数据"
VALUES = {
    0: struct.pack(">hq", 0, 42) + s16(META) + struct.pack(">q", 1_700_000_000_123),
    1: struct.pack(">hq", 1, 42) + s16(META) + struct.pack(">qq", 1_700_000_000_123, 1_700_086_400_000),
    2: struct.pack(">hq", 2, 42) + s16(META) + struct.pack(">q", 1_700_000_000_123),
    3: struct.pack(">hqi", 3, 42, 7) + s16(META) + struct.pack(">q", 1_700_000_000_123),
    4: struct.pack(">hqi", 4, 42, 7) + bytes([len(META.encode()) + 1]) + META.encode()
    + struct.pack(">q", 1_700_000_000_123) + b"\x00",
}


@pytest.mark.parametrize("version", sorted(VALUES))
def test_every_value_version_gives_offset_and_commit_time(version: int) -> None:
    assert parse_commit(key(), VALUES[version]) == Commit("kefu-routing", "case.opened", 3, 42, 1_700_000_000.123)


def test_key_type_zero_is_an_offset_commit_too() -> None:
    assert parse_commit(key(key_type=0), VALUES[1]) == Commit("kefu-routing", "case.opened", 3, 42, 1_700_000_000.123)


def test_a_real_kafka_4_record() -> None:
    commit = parse_commit(REAL_KEY, REAL_VALUE)
    assert commit == Commit("t32024c8186f2.kefu-intake", "t32024c8186f2.call.received", 0, 0, 1_795_400_443.188)


def test_compact_metadata_longer_than_one_varint_byte() -> None:
    meta = ("x" * 300).encode()
    length = bytes([(301 & 0x7F) | 0x80, 301 >> 7])  # unsigned varint of len + 1 = 301
    value = struct.pack(">hqi", 4, 9, -1) + length + meta + struct.pack(">q", 5000) + b"\x00"
    assert parse_commit(key(), value) == Commit("kefu-routing", "case.opened", 3, 9, 5.0)


def test_tombstone_marks_the_offset_deleted() -> None:
    assert parse_commit(key(), None) == Commit("kefu-routing", "case.opened", 3, None, None, deleted=True)


@pytest.mark.parametrize(
    "record_key,value",
    [
        (struct.pack(">h", 2) + s16("kefu-routing"), b"\x00\x03whatever"),  # group metadata
        (struct.pack(">h", 5) + s16("kefu-routing") + s16("member"), b"\x00\x00"),  # new protocol records
        (key(), struct.pack(">hq", 5, 1) + b"future"),  # an offset value version this code does not know
        (None, None),
        (b"", None),
        (key(), VALUES[4][:12]),  # truncated value
        (key()[:9], VALUES[4]),  # truncated key
        (struct.pack(">h", 1) + b"\x00\x02\xff\xfe" + s16("t") + struct.pack(">i", 0), VALUES[2]),  # not UTF-8
    ],
)
def test_other_records_are_skipped(record_key: bytes | None, value: bytes | None) -> None:
    assert parse_commit(record_key, value) is None
