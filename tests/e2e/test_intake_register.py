"""The property register: handover dates, and owners handed over their unit welcomed by the club."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import httpx
import pytest
from kefu_contracts import Topics

from support import auth
from support.kafka_io import read_all
from support.waiting import eventually

pytestmark = pytest.mark.e2e


async def test_a_unit_handed_over_to_its_owner_is_announced_once(services, mongo, namespace, infra):
    (intake,) = services("intake")
    entry = {"project": "金沙湾", "building": "12幢", "unit": "0801", "handover_date": "2026-12-20",
             "owner": {"name": "孙女士", "phone": "+86 139-0000-8888"}}
    async with httpx.AsyncClient(base_url=intake.url, headers=auth.headers("ops")) as client:
        for _ in range(2):  # the same PUT twice (a retry): the same event, which consumers drop
            reply = await client.put("/property-register", json=[entry, {"project": "金沙湾", "handover_date": "2026-12-01"}])
            assert reply.status_code == 200 and reply.json() == {"recorded": 2, "handed_over": 1}
        refused = await client.put("/property-register", json=[{**entry, "unit": None}])
        assert refused.status_code == 422
        assert (await client.put("/property-register", json=[{"project": "x"}])).status_code == 422

    events = await eventually(lambda: read_all(infra, Topics(namespace)("property.handed_over"), 1000),
                              lambda m: len(m) == 2, what="two publishes of one event")
    first, second = (json.loads(m.value) for m in events)
    assert first["event_id"] == second["event_id"]
    assert first["handover_date"] == "2026-12-20" and first["unit"] == "0801"
    assert first["contact"] == {"name": "孙女士", "phone": "+8613900008888"}
    customer = await mongo[f"{namespace}_kefu_intake"].customers.find_one({"_id": first["customer_id"]})
    assert customer["name"] == "孙女士"
    async with auth.client(intake.url, "agent") as client:
        profile = (await client.get(f"/customers/{first['customer_id']}")).json()["customer"]
    assert profile["properties"][0]["unit"] == "0801"


async def test_an_owner_whose_phone_another_writer_holds_gets_a_503_to_retry_not_a_500(services, mongo, namespace):
    """A claim on the owner's key that is not given back (its writer died mid-batch) holds the PUT off until
    its lease runs out: the client is told to retry, and nothing names the owner meanwhile."""
    (intake,) = services("intake")
    db = mongo[f"{namespace}_kefu_intake"]
    await db.customer_key_claims.insert_one({"_id": "phone:+8613900007777", "by": "a-batch",
                                             "at": datetime.now(timezone.utc)})
    entry = {"project": "金沙湾", "building": "12幢", "unit": "0802", "handover_date": "2026-12-20",
             "owner": {"name": "李先生", "phone": "139 0000 7777"}}
    async with auth.client(intake.url, "ops", timeout=60) as client:
        reply = await client.put("/property-register", json=[entry])
    assert reply.status_code == 503 and reply.headers["retry-after"] == "30"
    assert "retry" in reply.json()["detail"] and "7777" not in reply.text
    assert await db.customer_keys.find_one({"_id": "phone:+8613900007777"}) is None
