"""Who sees which customer on intake's API, on real servers: department staff only the customers of their
department's cases (and only those cases' contacts), the analyst with personal data masked."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from kefu_contracts import CaseStatusChanged, Topics

from support import auth
from support.kafka_io import call_payload, read_all, send_json
from support.waiting import eventually

pytestmark = pytest.mark.e2e

PHONE = "13900006666"


async def moved(producer, namespace: str, opened: dict, department: str, status: str = "assigned",
                n: int = 0, wait: bool = True) -> None:
    """What routing publishes when it assigns (or moves) a case."""
    previous = "opened" if status == "assigned" else "assigned"
    event = CaseStatusChanged(
        event_id=f"status-{opened['case_id']}-{department}-{status}-{n}", occurred_at=datetime.now(timezone.utc),
        correlation_id=opened["contact_id"], causation_id=opened["event_id"], case_id=opened["case_id"],
        customer_id=opened["customer_id"], status=status, previous_status=previous, actor="routing",
        kind=opened["kind"], department=department)
    if wait:
        await send_json(producer, Topics(namespace)("case.status_changed"), event.model_dump(mode="json"),
                        key=opened["case_id"])
    else:
        await producer.send(Topics(namespace)("case.status_changed"), event.model_dump_json().encode(),
                            key=opened["case_id"].encode())


async def test_department_staff_see_their_cases_customers_only_and_the_analyst_sees_them_masked(
        services, producer, namespace, infra):
    (intake,) = services("intake")
    caller = {"name": "周先生", "phone": PHONE}
    repair = call_payload(1, kind="repair", caller=caller, body="卫生间漏水，回电13900006666",
                          property={"project": "金沙湾", "building": "3幢", "unit": "0601"})
    inquiry = call_payload(2, kind="inquiry", caller=caller, body="请问物业费怎么交？",
                           property={"project": "金沙湾", "building": "3幢", "unit": "0601"})
    for call in (repair, inquiry):
        await send_json(producer, Topics(namespace)("call.received"), call, key=PHONE)
    records = await eventually(lambda: read_all(infra, Topics(namespace)("case.opened"), 1000),
                               lambda m: len(m) == 2, what="two cases opened")
    opened = {e["contact_id"]: e for e in (json.loads(r.value) for r in records)}
    first, second = opened[repair["event_id"]], opened[inquiry["event_id"]]
    customer = first["customer_id"]
    assert second["customer_id"] == customer and first["case_id"] != second["case_id"]
    url = f"/customers/{customer}"

    async with auth.client(intake.url, "engineering") as engineering, \
            auth.client(intake.url, "property") as property_staff, \
            auth.client(intake.url, "customer_service") as other, \
            auth.client(intake.url, "agent") as agent, auth.client(intake.url, "analyst") as analyst:
        # before routing assigned anything, no department sees the customer
        refused = await engineering.get(url)
        assert refused.status_code == 404 and refused.json()["code"] == "not_found"

        await moved(producer, namespace, first, "engineering")
        await moved(producer, namespace, second, "property")
        seen = await eventually(lambda: engineering.get(url), lambda r: r.status_code == 200,
                                what="engineering sees the customer of its case")
        assert [c["_id"] for c in seen.json()["contacts"]] == [repair["event_id"]]
        assert seen.json()["customer"]["phones"] == ["+86" + PHONE]  # department staff call owners back
        prop = await eventually(lambda: property_staff.get(url), lambda r: r.status_code == 200,
                                what="property sees the customer of its case")
        assert [c["_id"] for c in prop.json()["contacts"]] == [inquiry["event_id"]]
        assert (await other.get(url)).status_code == 404

        everything = (await agent.get(url)).json()
        assert {c["_id"] for c in everything["contacts"]} == {repair["event_id"], inquiry["event_id"]}
        assert everything["customer"]["name"] == "周先生" and any(PHONE in c["body"] for c in everything["contacts"])

        masked = await analyst.get(url)
        assert masked.status_code == 200 and len(masked.json()["contacts"]) == 2
        assert PHONE not in masked.text and "周先生" not in masked.text
        assert masked.json()["customer"]["phones"] == ["139****6666"]

        # routing moves the repair to the property company: engineering no longer sees the customer
        await moved(producer, namespace, first, "property", status="in_progress")
        await eventually(lambda: engineering.get(url), lambda r: r.status_code == 404,
                         what="engineering loses the customer when the case moves")
        both = (await property_staff.get(url)).json()["contacts"]
        assert {c["_id"] for c in both} == {repair["event_id"], inquiry["event_id"]}
        assert (await agent.get("/customers/cust-nobody")).status_code == 404

        # a burst of moves of one case, published at once (one batch or a few): the last one decides
        for n, department in enumerate(["engineering", "property", "engineering", "property", "customer_service"]):
            await moved(producer, namespace, first, department, status="in_progress", n=n, wait=False)
        await producer.flush()
        last = await eventually(lambda: other.get(url), lambda r: r.status_code == 200,
                                what="the repair in customer_service after its last move")
        assert [c["_id"] for c in last.json()["contacts"]] == [repair["event_id"]]
        assert (await engineering.get(url)).status_code == 404
        assert [c["_id"] for c in (await property_staff.get(url)).json()["contacts"]] == [inquiry["event_id"]]
