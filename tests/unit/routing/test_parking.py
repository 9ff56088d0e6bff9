"""The pure part of parking: which order parked events are applied in, and what is kept of their record."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from kefu_contracts import CASE_FOLLOWED_UP, CaseFollowedUp
from kefu_routing.parking import application_order, by_case, parked_doc, stored_record

T = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)


def doc(event_id: str, case_id: str, minutes: int) -> dict:
    return {"_id": event_id, "aggregate_id": case_id, "occurred_at": T + timedelta(minutes=minutes)}


def test_parked_events_apply_in_the_order_they_happened_whatever_order_they_were_read_in() -> None:
    docs = [doc("e3", "c1", 30), doc("e1", "c1", 10), doc("e2", "c1", 20)]
    assert [d["_id"] for d in application_order(docs)] == ["e1", "e2", "e3"]


def test_events_of_the_same_instant_are_ordered_by_event_id_so_every_instance_agrees() -> None:
    docs = [doc("b", "c1", 5), doc("a", "c1", 5), doc("c", "c1", 1)]
    assert [d["_id"] for d in application_order(docs)] == ["c", "a", "b"]
    assert [d["_id"] for d in application_order(list(reversed(docs)))] == ["c", "a", "b"]


def test_a_batchs_parked_events_are_grouped_by_case_each_in_order() -> None:
    docs = [doc("x2", "c2", 2), doc("y2", "c1", 9), doc("x1", "c2", 1), doc("y1", "c1", 3)]
    groups = by_case(docs)
    assert {k: [d["_id"] for d in v] for k, v in groups.items()} == {"c1": ["y1", "y2"], "c2": ["x1", "x2"]}


class Record:
    topic, partition, offset = "ns.case.followed_up", 4, 1234
    key = b"case-1"
    value = b'{"event_id": "f1"}'
    headers = (("content-type", b"application/json"),)


def test_the_parked_document_keeps_the_original_record_so_it_can_be_dead_lettered_as_it_came() -> None:
    event = CaseFollowedUp(event_id="f1", occurred_at=T, correlation_id="call-0", causation_id="call-1",
                           case_id="case-1", contact_id="call-1", customer_id="cust-1", channel="wechat",
                           kind="complaint", body="还没人来")
    d = parked_doc(CASE_FOLLOWED_UP, "case-1", event, Record(), T + timedelta(seconds=3))
    assert (d["_id"], d["aggregate_id"], d["topic"]) == ("f1", "case-1", CASE_FOLLOWED_UP)
    assert d["occurred_at"] == T and d["parked_at"] == T + timedelta(seconds=3)
    r = stored_record(d)
    assert (r.topic, r.partition, r.offset, r.key, r.value) == (
        Record.topic, Record.partition, Record.offset, Record.key, Record.value)
    assert r.headers == Record.headers
