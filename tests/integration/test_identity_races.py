"""Concurrent writers on one new caller end with one customer: separate ``CustomerArchive`` instances (no shared
cache, as two intake processes), racing on the real store with ``asyncio.gather``.

Each test races many people at once so that the writers' reads, claims and inserts interleave; a split (one
person's keys owned by two customers) or an orphan customer document (written by a racer that lost) fails it.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import datetime, timedelta, timezone

import pytest
from kefu_contracts import Caller
from kefu_kit.aggregates import ConcurrentChange
from kefu_intake.adapters.store import CLAIM_LEASE, CustomerArchive
from kefu_intake.domain.identity import identify

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
PEOPLE = 40


def phone(i: int) -> str:
    return f"138{i:08d}"


def formatted(i: int) -> str:
    p = phone(i)
    return f"+86 {p[:3]}-{p[3:7]}-{p[7:]}"


def email(i: int) -> str:
    return f"owner{i}@example.com"


async def race(db, callers_of) -> dict[int, list[str]]:
    """Every person's callers at once, each on its own archive; person -> the customer ids the writers got."""
    people = list(range(PEOPLE))
    jobs = [(i, caller) for i in people for caller in callers_of(i)]
    ids = await asyncio.gather(*(CustomerArchive(db).find_or_create(identify(Caller(**caller)), name=None, prop=None,
                                                                    seen_at=NOW) for _, caller in jobs))
    out: dict[int, list[str]] = defaultdict(list)
    for (i, _), cid in zip(jobs, ids, strict=True):
        out[i].append(cid)
    return out


async def assert_one_customer_each(db, got: dict[int, list[str]], keys_of) -> None:
    """One customer per person: every writer got it, all the person's keys name it, no other customer exists."""
    owners = {d["_id"]: d["customer_id"] for d in await db.customer_keys.find({}).to_list()}
    customers = {d["_id"] for d in await db.customers.find({}).to_list()}
    for i, ids in got.items():
        assert len(set(ids)) == 1, f"person {i}: writers got {set(ids)}"
        assert {owners.get(k) for k in keys_of(i)} == set(ids), f"person {i}: keys split {[owners.get(k) for k in keys_of(i)]}"
    assert customers == {ids[0] for ids in got.values()}, "a customer document no key names (a racer's leftover)"
    assert set(owners) == {k for i in got for k in keys_of(i)}


@pytest.fixture
def db(mongo, namespace):
    return mongo[f"{namespace}_kefu_intake"]


async def test_customer_id_and_phone_racing_phone_only(db) -> None:
    """The racers disagree on the new id (the given customer id, or one derived from the phone)."""
    got = await race(db, lambda i: [{"customer_id": f"C{i:06d}", "phone": phone(i)}, {"phone": formatted(i)}])
    await assert_one_customer_each(db, got, lambda i: [f"cid:C{i:06d}", f"phone:+86{phone(i)}"])


async def test_phone_and_email_racing_the_email_alone(db) -> None:
    got = await race(db, lambda i: [{"phone": phone(i), "email": email(i)}, {"email": email(i).upper()},
                                    {"phone": formatted(i), "email": email(i)}])
    await assert_one_customer_each(db, got, lambda i: [f"phone:+86{phone(i)}", f"email:{email(i)}"])


async def test_all_three_keys_in_every_combination_at_once(db) -> None:
    got = await race(db, lambda i: [{"customer_id": f"C{i:06d}", "phone": phone(i)},
                                    {"phone": formatted(i), "email": email(i)},
                                    {"customer_id": f"C{i:06d}", "email": email(i)},
                                    {"customer_id": f"C{i:06d}", "phone": phone(i), "email": email(i)}])
    await assert_one_customer_each(db, got, lambda i: [f"cid:C{i:06d}", f"phone:+86{phone(i)}", f"email:{email(i)}"])


async def test_a_new_phone_with_a_known_email_joins_the_emails_customer(db) -> None:
    """A weaker key known before the stronger one: the email's customer takes the phone, however the racers meet."""
    known = await race(db, lambda i: [{"email": email(i)}])
    got = await race(db, lambda i: [{"phone": phone(i), "email": email(i)}, {"phone": formatted(i), "email": email(i)},
                                    {"email": email(i)}])
    for i in got:
        assert set(got[i]) == set(known[i]), f"person {i}: not the email's customer"
        got[i] += known[i]
    await assert_one_customer_each(db, got, lambda i: [f"phone:+86{phone(i)}", f"email:{email(i)}"])


async def test_a_new_customer_id_with_a_known_phone_joins_the_phones_customer(db) -> None:
    known = await race(db, lambda i: [{"phone": phone(i)}])
    got = await race(db, lambda i: [{"customer_id": f"C{i:06d}", "phone": formatted(i)},
                                    {"customer_id": f"C{i:06d}", "phone": phone(i), "email": email(i)}])
    for i in got:
        assert set(got[i]) == set(known[i]), f"person {i}: not the phone's customer"
        got[i] += known[i]
    await assert_one_customer_each(db, got, lambda i: [f"cid:C{i:06d}", f"phone:+86{phone(i)}", f"email:{email(i)}"])


async def test_phone_alone_and_email_alone_at_once_then_both_is_two_customers_and_no_key_moves(db) -> None:
    """The limit of linking without merging: two calls with no key in common are two customers, whatever the
    order (one instance alone decides the same). The call with both goes to the phone's (the stronger key's)
    customer and the email stays where it is: a key is never re-pointed (instances cache them)."""
    first = await race(db, lambda i: [{"phone": phone(i)}, {"email": email(i)}])
    both = await race(db, lambda i: [{"phone": formatted(i), "email": email(i)}])
    owners = {d["_id"]: d["customer_id"] for d in await db.customer_keys.find({}).to_list()}
    for i in range(PEOPLE):
        by_phone, by_email = first[i]
        assert by_phone != by_email and both[i] == [by_phone]
        assert owners[f"phone:+86{phone(i)}"] == by_phone and owners[f"email:{email(i)}"] == by_email
    assert await db.customers.count_documents({}) == 2 * PEOPLE


async def test_racers_without_a_common_key_end_as_some_order_of_them_would(db) -> None:
    """Phone alone, email alone and both at once: one or two customers by the order the racers meet in, but
    always as if one came after the other: each got the customer its strongest key names in the end, every
    key and customer belongs to the person, and no racer that lost left a customer behind."""
    got = await race(db, lambda i: [{"phone": phone(i)}, {"email": email(i)}, {"phone": formatted(i), "email": email(i)}])
    owners = {d["_id"]: d["customer_id"] for d in await db.customer_keys.find({}).to_list()}
    customers = {d["_id"] for d in await db.customers.find({}).to_list()}
    named = set()
    for i in range(PEOPLE):
        alone_phone, alone_email, with_both = got[i]
        assert alone_phone == with_both == owners[f"phone:+86{phone(i)}"]
        assert alone_email == owners[f"email:{email(i)}"]
        named |= {alone_phone, alone_email}
    assert customers == named == set(owners.values())


async def test_claims_name_linked_keys_only_and_a_fresh_claim_holds_off_other_writers(db) -> None:
    """After a race every claim left is on a key that is linked (given back when a batch gave up, kept after its
    writes until pruned); a key claimed by a live writer cannot be linked by another, nor claimed half."""
    await race(db, lambda i: [{"customer_id": f"C{i:06d}", "phone": phone(i)}, {"phone": formatted(i)}])
    claimed = {d["_id"] for d in await db.customer_key_claims.find({}).to_list()}
    assert claimed and claimed <= {d["_id"] for d in await db.customer_keys.find({}).to_list()}
    archive = CustomerArchive(db)
    assert await archive.claims.prune(datetime.now(timezone.utc) + CLAIM_LEASE) == len(claimed)

    await db.customer_key_claims.insert_one({"_id": "phone:+8613999990000", "by": "another", "at": datetime.now(timezone.utc)})
    with pytest.raises(ConcurrentChange):
        async with archive.linking({"email:x@example.com": "cust-x", "phone:+8613999990000": "cust-x"}):
            pytest.fail("linked a key another writer holds")
    assert [d["_id"] for d in await db.customer_key_claims.find({}).to_list()] == ["phone:+8613999990000"], (
        "the claim it did get was not given back")


async def test_a_writer_that_finds_a_key_linked_meanwhile_gives_its_claims_back(db) -> None:
    await db.customer_keys.insert_one({"_id": "phone:+8613999990002", "customer_id": "cust-other"})
    with pytest.raises(ConcurrentChange):
        async with CustomerArchive(db).linking({"email:y@example.com": "cust-y", "phone:+8613999990002": "cust-y"}):
            pytest.fail("went on with a stale decision")
    assert await db.customer_key_claims.count_documents({}) == 0


async def test_a_claim_left_by_a_dead_process_is_taken_over_after_its_lease(db) -> None:
    stale = datetime.now(timezone.utc) - CLAIM_LEASE - timedelta(seconds=1)
    await db.customer_key_claims.insert_one({"_id": "phone:+8613999990001", "by": "dead", "at": stale})
    cid = await CustomerArchive(db).find_or_create(identify(Caller(phone="13999990001")), name=None, prop=None,
                                                   seen_at=NOW)
    assert (await db.customer_keys.find_one({"_id": "phone:+8613999990001"}))["customer_id"] == cid
    assert (await db.customer_key_claims.find_one({"_id": "phone:+8613999990001"}))["by"] != "dead"
