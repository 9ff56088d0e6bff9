"""The customer archive on the real store: one owner is one customer however they reach us."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest
from kefu_contracts import Caller
from kefu_intake.adapters.store import CustomerArchive
from kefu_intake.domain.identity import identify

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)


async def find(archive: CustomerArchive, **caller) -> str:
    return await archive.find_or_create(identify(Caller(**caller)), name="张三", prop=None, seen_at=NOW)


async def test_same_phone_in_any_format_is_one_customer(mongo, namespace):
    archive = CustomerArchive(mongo[f"{namespace}_kefu_intake"])
    a = await find(archive, phone="13812345678")
    b = await find(CustomerArchive(archive.customers.database), phone="+86 138-1234-5678")  # a fresh instance, no cache
    assert a == b
    assert await archive.customers.count_documents({}) == 1


async def test_a_known_phone_links_a_new_email_and_customer_id_to_the_same_customer(mongo, namespace):
    db = mongo[f"{namespace}_kefu_intake"]
    first = await find(CustomerArchive(db), phone="13812345678")
    again = await find(CustomerArchive(db), customer_id="C000777", phone="138 1234 5678", email="zs@example.com")
    assert again == first
    assert await find(CustomerArchive(db), email="ZS@example.com") == first
    assert await find(CustomerArchive(db), customer_id="C000777") == first
    profile = await CustomerArchive(db).profile(first)
    assert profile["phones"] == ["+8613812345678"] and profile["emails"] == ["zs@example.com"]


async def test_two_instances_racing_on_a_new_caller_create_one_customer(mongo, namespace):
    db = mongo[f"{namespace}_kefu_intake"]
    ids = await asyncio.gather(*(find(CustomerArchive(db), phone="13900001111") for _ in range(5)))
    assert len(set(ids)) == 1
    assert await db.customers.count_documents({}) == 1


async def test_properties_are_linked_once(mongo, namespace):
    db = mongo[f"{namespace}_kefu_intake"]
    archive = CustomerArchive(db)
    prop = {"project": "滨江花园", "building": "3幢", "unit": "1202"}
    for _ in range(3):
        cid = await archive.find_or_create(identify(Caller(phone="13812340000")), name=None, prop=prop, seen_at=NOW)
    profile = await archive.profile(cid)
    assert profile["properties"] == [{"project": "滨江花园", "building": "3幢", "unit": "1202", "since": NOW}]


async def test_a_handover_heals_a_key_whose_customer_is_missing(mongo, namespace):
    """A key written before its customer (a process that died in between, under the old write order) is healed
    by the next find-or-create of that caller: the batch path trusts known keys, so the customer must exist."""
    db = mongo[f"{namespace}_kefu_intake"]
    cid = await find(CustomerArchive(db), phone="13812349999")
    await db.customers.delete_one({"_id": cid})
    assert await CustomerArchive(db).profile(cid) is None
    assert await find(CustomerArchive(db), phone="13812349999") == cid
    assert (await CustomerArchive(db).profile(cid))["phones"] == ["+8613812349999"]


async def test_customers_are_written_before_the_keys_that_name_them(mongo, namespace):
    """If the key insert fails (the store goes away mid-way), no key names a customer that does not exist."""
    db = mongo[f"{namespace}_kefu_intake"]
    archive = CustomerArchive(db)

    async def failing_keys(*_a, **_k):
        raise ConnectionError("store went away")

    archive.keys.insert_many = failing_keys  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        await find(archive, phone="13812348888")
    customers = {d["_id"] for d in await db.customers.find({}).to_list()}
    assert await db.customer_keys.count_documents({}) == 0 and len(customers) == 1
