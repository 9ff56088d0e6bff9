"""Concurrent writers on one new caller end with one customer: separate ``CustomerArchive`` instances (no shared
cache, as two intake processes), racing on the real store with ``asyncio.gather``.

Each test races many people at once so that the writers' reads, claims and inserts interleave; a split (one
person's keys owned by two customers) or an orphan customer document (written by a racer that lost) fails it.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import datetime, timezone

import pytest
from kefu_contracts import Caller
from kefu_intake.adapters.store import CustomerArchive
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


async def test_phone_and_email_racing_email_only(db) -> None:
    got = await race(db, lambda i: [{"phone": phone(i), "email": email(i)}, {"email": email(i).upper()},
                                    {"phone": formatted(i)}])
    await assert_one_customer_each(db, got, lambda i: [f"phone:+86{phone(i)}", f"email:{email(i)}"])


async def test_all_three_keys_in_every_combination_at_once(db) -> None:
    got = await race(db, lambda i: [{"customer_id": f"C{i:06d}", "phone": phone(i)},
                                    {"phone": formatted(i), "email": email(i)},
                                    {"customer_id": f"C{i:06d}", "email": email(i)},
                                    {"customer_id": f"C{i:06d}", "phone": phone(i), "email": email(i)}])
    await assert_one_customer_each(db, got, lambda i: [f"cid:C{i:06d}", f"phone:+86{phone(i)}", f"email:{email(i)}"])


async def test_new_phone_with_known_email_racing_the_phone_alone(db) -> None:
    """A weaker key known before the stronger one: the email's customer must take the phone, not a new one."""
    known = await race(db, lambda i: [{"email": email(i)}])
    got = await race(db, lambda i: [{"phone": phone(i), "email": email(i)}, {"phone": formatted(i)}])
    for i in got:
        got[i] += known[i]
    await assert_one_customer_each(db, got, lambda i: [f"phone:+86{phone(i)}", f"email:{email(i)}"])


async def test_new_customer_id_with_known_phone_racing_the_id_with_the_email(db) -> None:
    known = await race(db, lambda i: [{"phone": phone(i)}])
    got = await race(db, lambda i: [{"customer_id": f"C{i:06d}", "phone": formatted(i)},
                                    {"customer_id": f"C{i:06d}", "phone": phone(i), "email": email(i)}])
    for i in got:
        got[i] += known[i]
    await assert_one_customer_each(db, got, lambda i: [f"cid:C{i:06d}", f"phone:+86{phone(i)}", f"email:{email(i)}"])
