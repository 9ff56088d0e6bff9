"""The kit's duplicate-key helpers on the real server: a duplicate is "done already", told per document."""

from __future__ import annotations

import asyncio

import pytest
from kefu_kit.mongo import insert_each, insert_new, upsert_each
from pymongo import UpdateOne

pytestmark = pytest.mark.integration


async def test_a_batch_says_which_documents_it_inserted_an_earlier_copy_in_it_included(mongo, namespace):
    coll = mongo[f"{namespace}_kefu_kit"]["messages"]
    await coll.insert_one({"_id": "m2", "v": "old"})
    inserted = await insert_each(coll, [{"_id": "m1"}, {"_id": "m2", "v": "new"}, {"_id": "m3"}, {"_id": "m1"}])
    assert inserted == [True, False, True, False]  # the second m1 is a copy of one this call inserted
    assert await insert_each(coll, []) == []
    assert await insert_new(coll, [{"_id": "m3"}, {"_id": "m4"}]) == {"m3"}
    assert {d["_id"]: d.get("v") for d in await coll.find({}).to_list()} == \
        {"m1": None, "m2": "old", "m3": None, "m4": None}


async def test_upserts_that_find_their_key_taken_are_told_apart_and_change_nothing(mongo, namespace):
    coll = mongo[f"{namespace}_kefu_kit"]["problems"]
    await coll.insert_one({"_id": "k1", "case_id": "A", "open": False})
    taken = await upsert_each(coll, [
        UpdateOne({"_id": "k1", "case_id": "B"}, {"$set": {"open": True}}, upsert=True),  # the key is A's
        UpdateOne({"_id": "k2", "case_id": "B"}, {"$set": {"open": True}}, upsert=True),  # a new one
        UpdateOne({"_id": "k1", "case_id": "A"}, {"$set": {"open": True}}),               # A's own
    ])
    assert taken == {0}
    assert {d["_id"]: (d["case_id"], d["open"]) for d in await coll.find({}).to_list()} == \
        {"k1": ("A", True), "k2": ("B", True)}
    assert await upsert_each(coll, []) == set()


async def test_concurrent_upserts_of_one_new_document_leave_one_and_no_error(mongo, namespace):
    coll = mongo[f"{namespace}_kefu_kit"]["cases"]
    await asyncio.gather(*(upsert_each(coll, [UpdateOne({"_id": "c1"}, {"$set": {"by": i}}, upsert=True)])
                           for i in range(8)))
    assert await coll.count_documents({}) == 1
