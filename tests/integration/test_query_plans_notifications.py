"""Notifications on the real store: every repository query is served by an index; the outbox keeps only
pending work and a redelivered event after pruning sends nothing; ``GET /notifications`` filters and pages
in the store.

Queries covered (adapters/store.py; the filters are the store's own functions):
messages by id, the list facets with and without a cursor; a batch's reads by ids (``$in`` on ``_id``) of
messages, first attempts, failures and preferences; schedules due (sort + limit), by message ids,
delete by id; attempts, outcomes, failures, preferences by id; outcomes by message ids.
Not explained: inserts (``notifications``, ``messages``, ``attempts``, ``outcomes``, ``failures``), which
find nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from kefu_contracts import MEMBER_JOINED, MemberJoined
from kefu_kit.auth import TokenBook, load_token_entries
from kefu_kit.pages import page_queries
from kefu_notifications.adapters.providers import FileProvider, Outgoing, ProviderError
from kefu_notifications.adapters.store import (
    LIST_KEY,
    NotificationStore,
    backfill_list_fields,
    by_id,
    by_ids,
    due_filter,
    ensure_indexes,
    list_filter,
    message_facets,
    of_messages,
    unlisted,
)
from kefu_notifications.api import build_router
from kefu_notifications.delivery import Deliverer
from kefu_notifications.domain import recipients
from kefu_notifications.domain.keys import attempt_id
from kefu_notifications.domain.retry import RetryPolicy
from kefu_notifications.domain.templates import default_templates
from kefu_notifications.failures import FailureReporter
from kefu_notifications.notify import Notifier
from pymongo import DESCENDING
from support import auth
from support.plans import assert_indexed

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc)


class Down:
    async def send(self, message: Outgoing) -> str:
        raise ProviderError("gateway down")


def joined(i: int, channel_contact: dict[str, str]) -> MemberJoined:
    return MemberJoined(event_id=f"ev-{i}", occurred_at=T0, correlation_id=f"c-{i}", causation_id=f"c-{i}",
                        customer_id=f"C{i}", member_id=f"M{i}", tier="regular", source="application",
                        joined_at=T0, contact={"name": "王", **channel_contact})


def parts(store: NotificationStore, out: Path, max_attempts: int = 3, sms: Any = None,
          at: datetime = T0) -> tuple[Notifier, Deliverer]:
    retry = RetryPolicy(max_attempts, timedelta(seconds=10), timedelta(seconds=60))
    published: list[Any] = []

    async def publish(event: Any) -> None:
        published.append(event)

    failures = FailureReporter(store, publish)
    notifier = Notifier(store, default_templates(), None, ZoneInfo("Asia/Shanghai"), retry,
                        {"sms", "email", "wechat"}, failures)
    provider = sms or FileProvider(out)
    deliverer = Deliverer(store, {"sms": provider, "email": provider, "wechat": provider}, retry, failures,
                          batch=500, concurrency=8, lease=timedelta(seconds=60), instance="t", clock=lambda: at)
    return notifier, deliverer


async def fill(mongo, namespace: str, tmp_path: Path, n: int = 120) -> NotificationStore:
    db = mongo[f"{namespace}_kefu_notifications"]
    await ensure_indexes(db)
    store = NotificationStore(db)
    notifier, deliverer = parts(store, tmp_path / "sent.jsonl", at=T0 + timedelta(minutes=10))
    for i in range(n):
        event = joined(i, {"phone": f"1390000{i:04d}"})
        await notifier.notify(event, MEMBER_JOINED, recipients.for_member_joined(event, None),
                              T0 + timedelta(seconds=i // 3))
    await deliverer.run_once()  # all sent: settles status, empties the outbox
    for i in range(n, n + 20):  # and some still pending
        event = joined(i, {"phone": f"1390000{i:04d}"})
        await notifier.notify(event, MEMBER_JOINED, recipients.for_member_joined(event, None), T0 + timedelta(hours=1))
    await store.set_preference("C1", {"channel": "sms", "locale": "zh"})
    return store


async def test_every_repository_query_is_served_by_an_index(mongo, namespace, tmp_path):
    store = await fill(mongo, namespace, tmp_path)
    some = [m["_id"] for m in await store.messages.find({}, {"_id": 1}).limit(5).to_list()]
    await assert_indexed(store.messages, by_id(some[0]))
    for coll in (store.attempts, store.outcomes, store.schedules):
        await assert_indexed(coll, by_id(attempt_id(some[0], 1)))
    await assert_indexed(store.failures, by_id(some[0]))
    await assert_indexed(store.preferences, by_id("C1"))
    await assert_indexed(store.schedules, due_filter(T0 + timedelta(days=1)), sort=[("due_at", 1)], limit=500)
    await assert_indexed(store.schedules, of_messages(some))
    await assert_indexed(store.outcomes, of_messages(some))
    await assert_indexed(store.messages, unlisted())
    await assert_indexed(store.messages, by_ids(some))  # a batch's redeliveries, one read
    await assert_indexed(store.attempts, by_ids(attempt_id(m, 1) for m in some))
    await assert_indexed(store.failures, by_ids(some))
    await assert_indexed(store.preferences, by_ids(["C1", "C2", "C3"]))
    page, cursor = await store.find_messages({}, None, 7)
    assert cursor
    for filters in ({}, {"recipient": "customer:C3"}, {"status": "sent"}, {"channel": "sms", "status": "scheduled"},
                    {"recipient": "customer:C3", "case_id": "K1", "channel": "sms", "status": "failed"}):
        for query, sort in page_queries(list_filter(**filters), LIST_KEY, DESCENDING, cursor,
                                        window=(T0, T0 + timedelta(hours=1))):
            await assert_indexed(store.messages, query, sort=sort, limit=101, index="facets_1_created_at_-1__id_-1")


async def test_the_outbox_is_emptied_once_sent_or_failed_and_a_redelivery_then_does_nothing(mongo, namespace,
                                                                                          tmp_path):
    db = mongo[f"{namespace}_kefu_notifications"]
    await ensure_indexes(db)
    store = NotificationStore(db)
    out = tmp_path / "sent.jsonl"
    notifier, deliverer = parts(store, out)
    doomed_notifier, doomed_deliverer = parts(store, out, max_attempts=1, sms=Down())
    ok, doomed = joined(1, {"phone": "13900000001"}), joined(2, {"email": "a@example.com"})
    await notifier.notify(ok, MEMBER_JOINED, recipients.for_member_joined(ok, None), T0)
    await deliverer.run_once()
    await doomed_notifier.notify(doomed, MEMBER_JOINED, recipients.for_member_joined(doomed, None), T0)
    assert await store.schedules.count_documents({}) == 1
    await doomed_deliverer.run_once()  # its only attempt fails: failed for good
    assert await store.schedules.count_documents({}) == 0  # pruned: delivered, and failed for good
    statuses = {m["recipient"]: m["status"] for m in await store.messages.find({}).to_list()}
    assert statuses == {"customer:C1": "sent", "customer:C2": "failed"}
    sent_before = out.read_text(encoding="utf-8").count("\n")
    for event in (ok, doomed):  # Kafka redelivers both events
        await notifier.notify(event, MEMBER_JOINED, recipients.for_member_joined(event, None), T0)
    assert await store.schedules.count_documents({}) == 0
    await deliverer.run_once()
    assert out.read_text(encoding="utf-8").count("\n") == sent_before
    assert await store.messages.count_documents({}) == 2


def api(store: NotificationStore, who: str) -> httpx.AsyncClient:
    """The service's routes in process, called as ``who`` (one of the suite's people)."""
    app = FastAPI()
    app.include_router(build_router(store))
    app.state.tokens = TokenBook(load_token_entries(auth.env()))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t", headers=auth.headers(who))


async def test_the_list_filters_and_pages_in_the_store(mongo, namespace, tmp_path):
    store = await fill(mongo, namespace, tmp_path, n=90)
    async with api(store, "manager") as client:
        seen, cursor, pages = [], None, 0
        while True:
            r = await client.get("/notifications", params={"limit": 13, **({"cursor": cursor} if cursor else {})})
            assert r.status_code == 200
            body = r.json()
            assert len(body) <= 13
            seen += [m["id"] for m in body]
            pages += 1
            cursor = r.headers.get("X-Next-Cursor")
            if not cursor:
                break
        every = await store.messages.find({}).sort([("created_at", -1), ("_id", -1)]).to_list()
        assert seen == [m["_id"] for m in every] and len(seen) == 110 and pages == 9
        scheduled = (await client.get("/notifications", params={"status": "scheduled", "limit": 500})).json()
        assert len(scheduled) == 20 and {m["status"] for m in scheduled} == {"scheduled"}
        assert all(m["next_attempt_at"] for m in scheduled)
        sent = (await client.get("/notifications", params={"status": "sent", "limit": 500})).json()
        assert len(sent) == 90 and {m["status"] for m in sent} == {"sent"}
        one = (await client.get("/notifications", params={"recipient": "customer:C5", "channel": "sms"})).json()
        assert [m["recipient"] for m in one] == ["customer:C5"]
        assert (await client.get("/notifications", params={"limit": 501})).status_code == 422
        assert (await client.get("/notifications", params={"limit": 0})).status_code == 422
        assert (await client.get("/notifications", params={"cursor": "not-a-cursor"})).status_code == 422
        spec = (await client.get("/openapi.json")).json()
        assert "X-Next-Cursor" in spec["paths"]["/notifications"]["get"]["responses"]["200"]["headers"]


async def test_messages_stored_before_list_fields_get_them_at_start(mongo, namespace, tmp_path):
    store = await fill(mongo, namespace, tmp_path, n=6)
    old = {k: v for k, v in (await store.messages.find_one({"recipient": "customer:C2"})).items()
           if k not in ("status", "facets")}
    await store.messages.replace_one({"_id": old["_id"]}, old)  # as an earlier version stored it
    assert await backfill_list_fields(store.messages.database) == 1
    assert await backfill_list_fields(store.messages.database) == 0
    sent, _ = await store.find_messages({"recipient": "customer:C2", "status": "sent"}, None, 10)
    assert [m["_id"] for m in sent] == [old["_id"]]


async def test_operations_see_messages_masked_and_only_agents_and_relations_keep_preferences(mongo, namespace):
    db = mongo[f"{namespace}_kefu_notifications"]
    await ensure_indexes(db)
    store = NotificationStore(db)
    phone = "13912345678"
    await store.messages.insert_one({
        "_id": "notification-m1", "recipient": "customer:C-chen-001", "channel": "sms", "address": phone,
        "template": "survey_due.repair_return_visit", "locale": "zh", "subject": None,
        "text": f"陈女士（{phone}）投诉：楼上漏水", "case_id": "K1", "cause_event_id": "ev-1",
        "cause_topic": "survey.due", "correlation_id": "c-1", "urgent": False, "created_at": T0, "send_at": T0,
        "max_attempts": 3, "status": "scheduled"})
    async with api(store, "ops") as ops, api(store, "agent") as agent:
        masked = (await ops.get("/notifications/notification-m1")).json()
        assert phone not in masked["text"] and "楼上漏水" in masked["text"]
        assert masked["recipient"] != "customer:C-chen-001" and phone not in masked["address"]
        clear = (await agent.get("/notifications/notification-m1")).json()
        assert phone in clear["text"] and clear["recipient"] == "customer:C-chen-001"
        assert phone not in clear["address"], "addresses are masked for everyone"
        assert (await agent.put("/preferences/C-chen-001", json={"channel": "email"})).status_code == 200
    for who in ("analyst", "engineering", "adapter"):
        async with api(store, who) as other:
            assert (await other.get("/notifications/notification-m1")).status_code == 403, who
    async with api(store, "relations") as relations:
        assert (await relations.get("/preferences/C-chen-001")).json()["channel"] == "email"
    for who in ("specialist", "ops", "analyst", "manager"):
        async with api(store, who) as other:
            assert (await other.get("/preferences/C-chen-001")).status_code == 403, who
            assert (await other.put("/preferences/C-chen-001", json={})).status_code == 403, who


async def test_a_case_s_messages_are_listed_by_its_own_facet_with_the_other_filters_checked_on_them(
        mongo, namespace, tmp_path):
    """case_id is a solo facet (LIST_SOLO): a message carries 9 facets, not 16, and a request with a case id
    reads that facet and checks recipient, channel and status on the case's few messages."""
    store = await fill(mongo, namespace, tmp_path, n=6)
    template = await store.messages.find_one({"status": "sent"})
    made = []
    for i, (case, channel, status) in enumerate([("K1", "sms", "sent"), ("K1", "sms", "failed"),
                                                ("K1", "inbox", "sent"), ("K2", "sms", "sent")]):
        doc = {k: v for k, v in template.items() if k != "facets"}
        doc.update(_id=f"case-msg-{i}", case_id=case, channel=channel, status=status,
                   created_at=T0 + timedelta(minutes=i))
        doc["facets"] = message_facets(doc, status)
        assert len(doc["facets"]) == 9
        made.append(doc)
    await store.messages.insert_many(made)
    listed = {}
    for filters in ({"case_id": "K1"}, {"case_id": "K1", "status": "sent"},
                    {"case_id": "K1", "channel": "sms", "status": "failed"}, {"case_id": "K2", "channel": "inbox"},
                    {"case_id": "K1", "recipient": template["recipient"], "channel": "inbox"}):
        page, _ = await store.find_messages(filters, None, 50)
        listed[tuple(sorted(filters.items()))] = [m["_id"] for m in page]
        for query, sort in page_queries(list_filter(**filters), LIST_KEY, DESCENDING, None,
                                        window=(T0, T0 + timedelta(hours=1))):
            await assert_indexed(store.messages, query, sort=sort, limit=101, index="facets_1_created_at_-1__id_-1")
    assert list(listed.values()) == [["case-msg-2", "case-msg-1", "case-msg-0"], ["case-msg-2", "case-msg-0"],
                                     ["case-msg-1"], [], ["case-msg-2"]]
    paged, cursor = [], None
    while True:  # one at a time, through the cursor
        page, cursor = await store.find_messages({"case_id": "K1", "channel": "sms"}, cursor, 1)
        paged += [m["_id"] for m in page]
        if not cursor:
            break
    assert paged == ["case-msg-1", "case-msg-0"]
