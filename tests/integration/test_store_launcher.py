"""kefu-secantusd, the stack's SecantusDB launcher: its write-path fix is applied, and a statement still sees
every change of the index catalog made before it.

The fix (deploy/local/secantusd.py) keeps a collection's index options for the
length of one write statement. These tests change the catalog between
statements (a unique index created, dropped, created again as partial; a
secondary index dropped; prepareUnique set by collMod; a unique index made
again with a case-insensitive collation) and check that each following insert, update,
replace and delete behaves as the catalog says at that moment, on the patched
server and, side by side, on the same server started with the fix off.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kefu_kit.mongo import DUPLICATE_KEY, make_client
from pymongo import ASCENDING, InsertOne, ReplaceOne
from pymongo.errors import BulkWriteError, DuplicateKeyError

from support.store_server import PrivateStore, available_servers

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif("secantus" not in available_servers(), reason="the launcher is SecantusDB's"),
]


async def _catalog_changes_between_statements(url: str) -> list[Any]:
    """Writes interleaved with index changes; what each one answered, in order."""
    client = make_client(url, "launcher-test")
    coll = client["launcher"]["docs"]
    seen: list[Any] = []

    async def outcome(write: Any) -> str:
        try:
            await write
            return "ok"
        except DuplicateKeyError as exc:
            return f"dup {exc.code}"
        except BulkWriteError as exc:
            return "bulk " + ",".join(str(e["code"]) for e in exc.details["writeErrors"])

    try:
        await coll.insert_many([{"_id": i, "k": i, "tag": "a"} for i in range(20)])
        seen.append(await outcome(coll.insert_one({"_id": 100, "k": 1})))  # no unique index yet
        await coll.delete_one({"_id": 100})
        await coll.create_index([("k", ASCENDING)], unique=True)
        seen.append(await outcome(coll.insert_one({"_id": 101, "k": 2})))  # the new unique index refuses
        seen.append(await outcome(coll.update_one({"_id": 3}, {"$set": {"k": 4}})))
        seen.append(await outcome(coll.replace_one({"_id": 5}, {"k": 6, "tag": "a"})))
        seen.append(await outcome(coll.bulk_write([InsertOne({"_id": 102, "k": 500}),
                                                   InsertOne({"_id": 103, "k": 7}),
                                                   ReplaceOne({"_id": 8}, {"k": 9})], ordered=False)))
        await coll.drop_index("k_1")
        seen.append(await outcome(coll.insert_one({"_id": 104, "k": 2})))  # dropped: the duplicate goes in
        await coll.delete_many({"_id": {"$in": [102, 104]}})
        await coll.create_index([("k", ASCENDING)], unique=True, partialFilterExpression={"tag": "a"},
                                name="k_partial")
        seen.append(await outcome(coll.insert_one({"_id": 105, "k": 2, "tag": "b"})))  # outside the filter
        seen.append(await outcome(coll.insert_one({"_id": 106, "k": 2, "tag": "a"})))  # inside it
        await coll.create_index([("tag", ASCENDING), ("k", ASCENDING)])
        await coll.delete_many({"tag": "a", "k": {"$lt": 10}})
        seen.append(sorted(d["_id"] for d in await coll.find({"tag": "a"}, {"_id": 1}).to_list(None)))
        seen.append(sorted([d["_id"] async for d in coll.find({"tag": "a", "k": {"$gte": 0}}, {"_id": 1})
                            .hint("tag_1_k_1")]))
        await coll.drop_index("tag_1_k_1")
        await coll.update_many({"tag": "a"}, {"$set": {"tag": "c"}})
        seen.append(await coll.count_documents({"tag": "c"}))
        seen.append(await outcome(coll.insert_one({"_id": 107, "k": 12, "tag": "a"})))  # 12 is now tag c
        # prepareUnique lives in an index's options, the very map the fix keeps for a statement: set by
        # collMod between two inserts, the second one must already be refused
        pending = client["launcher"]["pending"]
        await pending.create_index([("k", ASCENDING)], name="k_1")
        seen.append(await outcome(pending.insert_one({"k": 1})))
        await client["launcher"].command({"collMod": "pending", "index": {"name": "k_1", "prepareUnique": True}})
        seen.append(await outcome(pending.insert_one({"k": 1})))
        seen.append(await outcome(pending.insert_one({"k": 2})))
        # the same index name, made again with a case-insensitive collation
        names = client["launcher"]["names"]
        await names.create_index([("name", ASCENDING)], unique=True, name="name_u")
        seen.append(await outcome(names.insert_one({"name": "Kefu"})))
        seen.append(await outcome(names.insert_one({"name": "KEFU"})))
        await names.drop_index("name_u")
        await names.delete_one({"name": "KEFU"})
        await names.create_index([("name", ASCENDING)], unique=True, name="name_u",
                                 collation={"locale": "en", "strength": 2})
        seen.append(await outcome(names.insert_one({"name": "kefu"})))
        seen.append(await outcome(names.insert_one({"name": "Kefu2"})))
    finally:
        await client.drop_database("launcher")
        await client.close()
    return seen


EXPECTED: list[Any] = [
    "ok",
    f"dup {DUPLICATE_KEY}", f"dup {DUPLICATE_KEY}", f"dup {DUPLICATE_KEY}",
    f"bulk {DUPLICATE_KEY},{DUPLICATE_KEY}",
    "ok",
    "ok", f"dup {DUPLICATE_KEY}",
    list(range(10, 20)),
    list(range(10, 20)),
    10,
    "ok",
    "ok", f"dup {DUPLICATE_KEY}", "ok",
    "ok", "ok", f"dup {DUPLICATE_KEY}", "ok",
]


@pytest.mark.parametrize("patch", ["1", "0"], ids=["fix-on", "fix-off"])
async def test_each_write_sees_the_index_catalog_as_it_is_when_it_runs(
        patch: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEFU_SECANTUS_PATCH", patch)
    store = PrivateStore("secantus", tmp_path / "data")
    store.start()
    try:
        assert await _catalog_changes_between_statements(store.url) == EXPECTED
    finally:
        store.stop()
    log = store.log.read_text()
    assert ("index options once per write statement: applied" in log) == (patch == "1"), log[-2000:]
