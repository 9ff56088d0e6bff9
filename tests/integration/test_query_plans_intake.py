"""Every query intake sends is served by an index on the real store (explain, no COLLSCAN).

The filters come from the same small functions the repositories use, so a filter
changed in the code is the filter checked here. Not checked: ``property_register``
is read whole into memory by design (a register of handover dates is small).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from kefu_intake.adapters.store import (
    HISTORY_SORT,
    by_id,
    by_ids,
    claim_by,
    claims_older_than,
    ensure_indexes,
    of_case,
    of_customer,
    problem_at_rev,
    problem_of_case,
    problems_closed_before,
    problems_quiet_since,
)

from kefu_intake.adapters.accepted import accepted_before
from kefu_intake.adapters.departments import cases_in

from support.plans import assert_indexed

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
async def db(mongo, namespace):
    db = mongo[f"{namespace}_kefu_intake"]
    await ensure_indexes(db)
    for i in range(50):  # a few documents, so the planner has something to choose from
        await db.contacts.insert_one({"_id": f"call-{i}", "customer_id": f"cust-{i % 5}", "case_id": f"case-{i % 7}",
                                      "received_at": NOW})
        await db.case_departments.insert_one({"_id": f"case-{i}", "customer_id": f"cust-{i % 5}",
                                              "department": ("engineering", "property")[i % 2], "at": NOW})
        await db.accepted_calls.insert_one({"_id": f"event:call-{i}", "at": NOW - timedelta(days=i)})
        await db.customer_keys.insert_one({"_id": f"phone:+86139{i:08d}", "customer_id": f"cust-{i % 5}"})
        await db.customers.insert_one({"_id": f"cust-{i}", "name": None, "created_at": NOW})
        await db.customer_properties.insert_one({"_id": f"cust-{i}|p||", "customer_id": f"cust-{i % 5}"})
        await db.customer_key_claims.insert_one({"_id": f"phone:+86139{i:08d}", "by": f"h-{i % 5}",
                                                 "at": NOW - timedelta(minutes=i)})
        await db.open_problems.insert_one({"_id": f"cust-{i}|p|||leak", "case_id": f"case-{i}", "open": i % 2 == 0,
                                           "last_contact_at": NOW - timedelta(days=i),
                                           "closed_at": None if i % 2 == 0 else NOW, "rev": i % 3})
    return db


async def test_contact_log_queries_use_indexes(db) -> None:
    await assert_indexed(db.contacts, by_id("call-1"))
    # a batch's redeliveries; a batch of case moves' opening contacts
    await assert_indexed(db.contacts, by_ids(["call-1", "call-7", "call-9"]))
    await assert_indexed(db.contacts, of_customer("cust-1"), sort=HISTORY_SORT, limit=50)  # customer history
    await assert_indexed(db.contacts, of_case("case-1"), sort=HISTORY_SORT, limit=50)  # a department's view


async def test_department_and_accepted_call_queries_use_indexes(db) -> None:
    await assert_indexed(db.case_departments, cases_in("cust-1", "engineering"))  # may department staff see them
    await assert_indexed(db.case_departments, by_ids(["case-1", "case-7", "case-9"]))  # a batch of moves: its cases
    await assert_indexed(db.case_departments, by_id("case-1"))  # a case moved: its department overwritten
    await assert_indexed(db.accepted_calls, {"_id": "event:call-1"})  # POST /calls: a retry's key
    await assert_indexed(db.accepted_calls, accepted_before(NOW - timedelta(days=7)), index="at_1")  # the pruner


async def test_customer_archive_queries_use_indexes(db) -> None:
    await assert_indexed(db.customer_keys, by_ids(["phone:+8613900000001", "email:a@example.com"]))  # key owners
    await assert_indexed(db.customer_keys, by_id("phone:+8613900000001"))  # per-key lookup (handover path)
    await assert_indexed(db.customer_keys, of_customer("cust-1"))  # profile: phones and emails
    await assert_indexed(db.customers, by_id("cust-1"))
    await assert_indexed(db.customer_properties, of_customer("cust-1"))
    # the claims a batch holds on the keys it links: released by holder, a stale one taken over
    await assert_indexed(db.customer_key_claims, claim_by("phone:+8613900000001", "h-1"))
    await assert_indexed(db.customer_key_claims, by_id("phone:+8613900000001"))
    await assert_indexed(db.customer_key_claims, claims_older_than(NOW))  # the pruner


async def test_problem_index_queries_use_indexes(db) -> None:
    await assert_indexed(db.open_problems, by_ids(["cust-1|p|||leak", "cust-2|p|||leak"]))  # a batch's problems
    await assert_indexed(db.open_problems, problem_at_rev("cust-1|p|||leak", 2))  # guarded update
    await assert_indexed(db.open_problems, problem_at_rev("cust-1|p|||leak", 0))  # guarded update, no rev yet
    await assert_indexed(db.open_problems, problem_of_case("cust-1|p|||leak", "case-1"))  # a case moved
    await assert_indexed(db.open_problems, problems_quiet_since(NOW - timedelta(days=30)),
                         index="last_contact_at_1")  # pruning: window passed
    await assert_indexed(db.open_problems, problems_closed_before(NOW - timedelta(hours=1)),
                         index="closed_at_1")  # pruning: closed a while ago
