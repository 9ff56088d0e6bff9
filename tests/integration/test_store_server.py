"""The default store's guarantees, verified before kefu relies on them.

- A SIGKILL of the server in the middle of a stream of writes loses no write the
  driver was told succeeded (kefu's clients ask for j:true: handlers commit their
  Kafka offsets after their writes, so a lost acknowledged write is a lost effect).
- Unique indexes refuse a duplicate with code 11000 on insert, on update and in
  bulk writes: idempotency (insert-once, revision claims) rests on it.

The kill tests run on a private server (the suite's shared one cannot be killed),
once for each kind this machine has: SecantusDB from the local stack, mongod.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from kefu_kit.mongo import DUPLICATE_KEY, make_client
from pymongo import InsertOne, UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError, PyMongoError

from support.store_server import PrivateStore, available_servers

pytestmark = pytest.mark.integration

SERVERS = available_servers()


def test_this_machine_has_a_server_for_the_kill_tests() -> None:
    """make test installs SecantusDB into .stack (or uses mongod): without either the tests below would not run."""
    assert SERVERS, "neither .stack/secantus nor mongod on PATH: run deploy/local/stack.sh install"


async def _stream_until_killed(store: PrivateStore, write: Any, kill_after: int) -> list[int]:
    """Write 0, 1, 2, ... one at a time; SIGKILL the server after ``kill_after`` acks; return the acknowledged ones."""
    client = make_client(store.url, "kefu-durability-test")
    acked: list[int] = []
    try:
        coll = client["durability"]["writes"]
        i = 0
        while True:
            try:
                await write(coll, i)
            except PyMongoError:
                break  # the server is gone: this write was never acknowledged
            acked.append(i)
            i += 1
            if i == kill_after:
                # kill from another thread while writes keep going, so one is in flight
                asyncio.get_running_loop().run_in_executor(None, store.kill)
            if i > kill_after + 100_000:
                raise AssertionError("the server did not die")
    finally:
        await client.close()
    return acked


async def _stored(store: PrivateStore) -> list[dict[str, Any]]:
    client = make_client(store.url, "kefu-durability-test")
    try:
        return await client["durability"]["writes"].find({}).to_list()
    finally:
        await client.close()


@pytest.mark.parametrize("kind", SERVERS)
async def test_a_killed_server_keeps_every_acknowledged_insert(kind: str, tmp_path: Path) -> None:
    store = PrivateStore(kind, tmp_path / "data")
    store.start()
    try:
        acked = await _stream_until_killed(store, lambda c, i: c.insert_one({"_id": i}), kill_after=1500)
        store.kill()
        store.start()
        kept = {d["_id"] for d in await _stored(store)}
    finally:
        store.stop()
    assert len(acked) >= 1500
    lost = sorted(set(acked) - kept)
    assert not lost, f"{kind}: {len(lost)} of {len(acked)} acknowledged inserts lost, e.g. {lost[:5]}"


@pytest.mark.parametrize("kind", SERVERS)
async def test_a_killed_server_keeps_every_acknowledged_update_and_bulk_write(kind: str, tmp_path: Path) -> None:
    """Updates in place and bulk writes (what the batched handlers send) are as durable as single inserts."""
    store = PrivateStore(kind, tmp_path / "data")
    store.start()

    async def write(coll: Any, i: int) -> None:
        await coll.bulk_write([
            UpdateOne({"_id": "counter"}, {"$inc": {"n": 1}}, upsert=True),
            InsertOne({"_id": i, "batch": True}),
        ], ordered=True)

    try:
        acked = await _stream_until_killed(store, write, kill_after=800)
        store.kill()
        store.start()
        docs = {d["_id"]: d for d in await _stored(store)}
    finally:
        store.stop()
    assert len(acked) >= 800
    lost = sorted(set(acked) - set(docs))
    assert not lost, f"{kind}: {len(lost)} acknowledged bulk inserts lost, e.g. {lost[:5]}"
    # every acknowledged increment is there (one more may have landed without its ack reaching us)
    assert docs["counter"]["n"] in (len(acked), len(acked) + 1)


async def test_unique_index_refuses_a_duplicate_insert_with_11000(mongo, namespace) -> None:
    coll = mongo[f"{namespace}_kefu_store"]["claims"]
    await coll.create_index("key", unique=True)
    await coll.insert_one({"_id": 1, "key": "phone:138"})
    with pytest.raises(DuplicateKeyError) as info:
        await coll.insert_one({"_id": 2, "key": "phone:138"})
    assert info.value.code == DUPLICATE_KEY
    with pytest.raises(DuplicateKeyError) as info:
        await coll.insert_one({"_id": 1, "key": "phone:139"})  # the _id index too
    assert info.value.code == DUPLICATE_KEY
    assert await coll.count_documents({}) == 1


async def test_unique_index_refuses_an_update_into_a_duplicate_with_11000(mongo, namespace) -> None:
    coll = mongo[f"{namespace}_kefu_store"]["claims"]
    await coll.create_index("key", unique=True)
    await coll.insert_many([{"_id": 1, "key": "a"}, {"_id": 2, "key": "b"}])
    with pytest.raises(DuplicateKeyError) as info:
        await coll.update_one({"_id": 2}, {"$set": {"key": "a"}})
    assert info.value.code == DUPLICATE_KEY
    with pytest.raises(DuplicateKeyError) as info:
        await coll.update_one({"_id": 3}, {"$set": {"key": "a"}}, upsert=True)
    assert info.value.code == DUPLICATE_KEY
    assert {d["_id"]: d["key"] for d in await coll.find({}).to_list()} == {1: "a", 2: "b"}


async def test_unordered_bulk_insert_reports_each_duplicate_and_keeps_the_rest(mongo, namespace) -> None:
    """What a batched handler relies on: one duplicate (a redelivery) does not stop the others."""
    coll = mongo[f"{namespace}_kefu_store"]["contacts"]
    await coll.insert_one({"_id": "c2"})
    with pytest.raises(BulkWriteError) as info:
        await coll.insert_many([{"_id": f"c{i}"} for i in range(1, 6)], ordered=False)
    errors = info.value.details["writeErrors"]
    assert [(e["index"], e["code"]) for e in errors] == [(1, DUPLICATE_KEY)]
    assert sorted(d["_id"] for d in await coll.find({}).to_list()) == ["c1", "c2", "c3", "c4", "c5"]
