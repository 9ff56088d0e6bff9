"""The preload's in-memory stand-in behaves like the store where the repositories depend on it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from pymongo.errors import BulkWriteError, DuplicateKeyError

from kefu_cli.bench_memstore import MemoryDatabase, matches
from kefu_cli.bench_stores import server_name
from kefu_kit import insert_once

T0 = datetime(2026, 11, 1, 8, 0, 0, 123456, tzinfo=timezone.utc)


async def test_insert_once_sees_a_duplicate_id_as_already_done() -> None:
    db = MemoryDatabase("x")
    assert await insert_once(db.keys, {"_id": "phone:+8613900000000", "customer_id": "c1"})
    assert not await insert_once(db.keys, {"_id": "phone:+8613900000000", "customer_id": "c2"})
    assert (await db.keys.find_one({"_id": "phone:+8613900000000"}))["customer_id"] == "c1"
    with pytest.raises(DuplicateKeyError):
        await db.keys.insert_one({"_id": "phone:+8613900000000"})


async def test_insert_many_unordered_reports_duplicates_by_index_as_the_server_does() -> None:
    db = MemoryDatabase("x")
    await db.messages.insert_one({"_id": "m2"})
    with pytest.raises(BulkWriteError) as err:
        await db.messages.insert_many([{"_id": "m1"}, {"_id": "m2"}, {"_id": "m3"}], ordered=False)
    assert [(e["index"], e["code"]) for e in err.value.details["writeErrors"]] == [(1, 11000)]
    assert len(db.messages) == 3


async def test_documents_come_back_as_the_store_keeps_them() -> None:
    db = MemoryDatabase("x")
    doc = {"_id": "a", "at": T0, "flags": ("x", "y"), "nested": {"n": 1}}
    await db.c.insert_one(doc)
    got = await db.c.find_one({"_id": "a"})
    assert got["at"] == T0.replace(microsecond=123000) and got["at"].tzinfo is not None  # milliseconds, tz-aware
    assert got["flags"] == ["x", "y"]
    got["nested"]["n"] = 2  # a copy: changing what was read changes nothing stored
    assert (await db.c.find_one({"_id": "a"}))["nested"]["n"] == 1


async def test_queries_by_fields_in_and_ranges_find_what_the_store_would() -> None:
    db = MemoryDatabase("x")
    for i in range(10):
        await db.r.insert_one({"_id": i, "customer_id": f"c{i % 2}", "kind": "complaint" if i < 6 else "repair",
                               "opened_at": T0 + timedelta(days=i)})
    found = await db.r.find({"customer_id": "c0", "kind": {"$in": ["complaint"]},
                             "opened_at": {"$gte": T0 + timedelta(days=2)}}).to_list()
    assert sorted(d["_id"] for d in found) == [2, 4]
    await db.r.replace_one({"_id": 4}, {"customer_id": "c1", "kind": "complaint", "opened_at": T0})
    found = await db.r.find({"customer_id": "c0", "kind": {"$in": ["complaint"]}}).to_list()
    assert sorted(d["_id"] for d in found) == [0, 2]  # the index follows the replacement


async def test_in_queries_find_by_id_and_by_field_without_looking_at_other_documents(monkeypatch) -> None:
    """A batch's reads by ids are ``$in`` on ``_id``: decoding every stored document for each of them made a
    100k preload quadratic (101 calls/s falling to 11/s by 8,000 calls)."""
    db = MemoryDatabase("x")
    await db.c.insert_many([{"_id": f"d{i}", "kind": "leak" if i % 2 else "noise", "n": i} for i in range(1000)])
    await db.c.find_one({"kind": "leak"})  # the hash index on kind exists from here on
    loaded: list[str] = []
    real_load = type(db.c)._load
    monkeypatch.setattr(type(db.c), "_load", lambda self, _id: loaded.append(_id) or real_load(self, _id))

    got = await db.c.find({"_id": {"$in": ["d3", "d998", "missing", "d3"]}}).to_list()
    assert sorted(d["_id"] for d in got) == ["d3", "d998"] and len(loaded) == 2
    loaded.clear()
    got = await db.c.find({"n": {"$in": [7, 8, 9]}, "kind": "leak"}).to_list()
    assert sorted(d["n"] for d in got) == [7, 9] and len(loaded) == 500  # the kind index, then the $in checked
    loaded.clear()
    got = await db.c.find({"n": {"$in": [7, 8, 1000]}}).to_list()
    assert sorted(d["n"] for d in got) == [7, 8]
    loaded.clear()
    got = await db.c.find({"n": {"$in": [7, 8]}}).to_list()  # an index on n now: two lookups
    assert sorted(d["n"] for d in got) == [7, 8] and len(loaded) == 2
    loaded.clear()
    await db.c.update_one({"_id": "d8"}, {"$set": {"n": 5000}})
    assert [d["_id"] for d in await db.c.find({"n": {"$in": [5000]}}).to_list()] == ["d8"]  # the index followed
    assert await db.c.find({"n": {"$in": [8]}}).to_list() == []


async def test_updates_set_and_max_and_upserting_replace() -> None:
    db = MemoryDatabase("x")
    await db.p.insert_one({"_id": "k", "case_id": "a", "open": True, "last": T0})
    await db.p.update_one({"_id": "k"}, {"$max": {"last": T0 - timedelta(days=1)}})
    await db.p.update_one({"_id": "k", "case_id": "other"}, {"$set": {"open": False}})  # filter does not match
    assert (await db.p.find_one({"_id": "k"}))["open"] is True
    await db.p.update_one({"_id": "k", "case_id": "a"}, {"$set": {"open": False}})
    got = await db.p.find_one({"_id": "k"})
    assert got["open"] is False and got["last"] == T0.replace(microsecond=123000)
    await db.s.replace_one({"_id": "n"}, {"_id": "n", "v": 1}, upsert=True)
    assert (await db.s.find_one({"_id": "n"}))["v"] == 1


async def test_upserts_start_from_the_filter_and_apply_min_inc_and_set_on_insert() -> None:
    """What routing's oldest-case mark and the counters send (``$min``/``$inc`` with ``upsert``)."""
    db = MemoryDatabase("x")
    await db.m.update_one({"_id": "oldest"}, {"$min": {"at": T0}}, upsert=True)
    await db.m.update_one({"_id": "oldest"}, {"$min": {"at": T0 + timedelta(days=1)}}, upsert=True)
    await db.m.update_one({"_id": "oldest"}, {"$min": {"at": T0 - timedelta(days=1)}, "$setOnInsert": {"x": 1}},
                          upsert=True)
    got = await db.m.find_one({"_id": "oldest"})
    assert got["at"] == (T0 - timedelta(days=1)).replace(microsecond=123000) and "x" not in got
    await db.m.update_one({"_id": "n", "kind": "c"}, {"$inc": {"n": 2}, "$setOnInsert": {"y": 1}}, upsert=True)
    await db.m.update_one({"_id": "n", "kind": "c"}, {"$inc": {"n": 3}}, upsert=True)
    assert await db.m.find_one({"_id": "n"}) == {"_id": "n", "kind": "c", "n": 5, "y": 1}


async def test_group_counts_like_open_counts_asks() -> None:
    db = MemoryDatabase("x")
    for i, (person, status) in enumerate([("a", "assigned"), ("a", "assigned"), ("b", "assigned"), ("b", "closed")]):
        await db.cases.insert_one({"_id": i, "department": "d", "assignee": person, "status": status})
    rows = await (await db.cases.aggregate([
        {"$match": {"department": "d", "status": {"$in": ["assigned"]}}},
        {"$group": {"_id": "$assignee", "n": {"$sum": 1}}}])).to_list()
    assert {r["_id"]: r["n"] for r in rows} == {"a": 2, "b": 1}


async def test_what_it_cannot_do_it_refuses_loudly() -> None:
    db = MemoryDatabase("x")
    with pytest.raises(NotImplementedError):
        await db.c.find_one({"$or": [{"a": 1}]})
    with pytest.raises(NotImplementedError):
        matches({"a": 1}, {"a": {"$ne": 2}})
    with pytest.raises(NotImplementedError):
        await db.c.update_one({"_id": 1}, {"$mul": {"n": 2}}, upsert=True)


def test_the_store_is_named_from_what_the_server_says() -> None:
    assert server_name({"version": "8.2.11", "secantusVersion": "0.7.0b3"}) == "secantusdb 0.7.0b3"
    assert server_name({"version": "7.0.77", "ferretdb": {"version": "v1.24.2"}}) == "ferretdb v1.24.2"
    assert server_name({"version": "8.0.4"}) == "mongodb 8.0.4"


def test_the_stack_store_rss_is_reported_only_for_the_stack_store(tmp_path, monkeypatch) -> None:
    from kefu_cli.bench_stores import shared_store_pid

    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "mongo.ports").write_text("27017\n")
    (tmp_path / "run" / "mongo.pid").write_text("4242\n")
    monkeypatch.setenv("KEFU_STACK_DIR", str(tmp_path))
    assert shared_store_pid("mongodb://127.0.0.1:27017/") == 4242
    assert shared_store_pid("mongodb://127.0.0.1:40111/") is None  # a FerretDB started by hand, say
