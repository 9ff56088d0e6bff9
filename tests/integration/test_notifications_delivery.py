"""The delivery loop on the real store: several instances, one send per attempt; crashed attempts recovered;
retries and the final failure settled once."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from kefu_contracts import NotificationFailed
from kefu_notifications.adapters.providers import FileProvider, Outgoing, ProviderError
from kefu_notifications.adapters.store import NotificationStore, ensure_indexes
from kefu_notifications.delivery import Deliverer
from kefu_notifications.domain.keys import attempt_id, message_id
from kefu_notifications.domain.retry import RetryPolicy
from kefu_notifications.failures import FailureReporter

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc)


class FailingFirst:
    """A real file provider behind a switch: refuses the first ``n`` sends (a gateway that is down, then up)."""

    def __init__(self, inner: FileProvider, n: int) -> None:
        self.inner, self.n = inner, n

    async def send(self, message: Outgoing) -> str:
        if self.n > 0:
            self.n -= 1
            raise ProviderError("gateway down")
        return await self.inner.send(message)


def message(i: int, channel: str = "sms", max_attempts: int = 3) -> dict[str, Any]:
    mid = message_id(f"ev-{i}", f"customer:C{i}", channel)
    return {"_id": mid, "cause_event_id": f"ev-{i}", "cause_topic": "survey.due", "correlation_id": f"call-{i}",
            "case_id": None, "recipient": f"customer:C{i}", "audience": "owner", "channel": channel,
            "address": "13900000000", "template": "survey_due.periodic_satisfaction",
            "urgent": False, "ready_at": T0, "send_at": T0, "max_attempts": max_attempts, "created_at": T0,
            "locale": "zh", "subject": "", "text": f"问卷 {i}"}


async def setup(mongo, namespace: str) -> tuple[NotificationStore, list[NotificationFailed]]:
    db = mongo[f"{namespace}_kefu_notifications"]
    await ensure_indexes(db)
    return NotificationStore(db), []


def deliverer(store, published, providers, clock, name: str, lease_s: float = 60) -> Deliverer:
    async def publish(event: NotificationFailed) -> None:
        published.append(event)

    return Deliverer(store, providers, RetryPolicy(3, timedelta(seconds=10), timedelta(seconds=60)),
                     FailureReporter(store, publish), batch=500, concurrency=8, lease=timedelta(seconds=lease_s),
                     instance=name, clock=clock)


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


async def test_four_instances_at_once_send_each_message_once(mongo, namespace, tmp_path):
    store, published = await setup(mongo, namespace)
    for i in range(60):
        await store.add_messages([message(i)])
        await store.schedule(message(i), 1, T0)
    out = tmp_path / "sent.jsonl"
    fleet = [deliverer(store, published, {"sms": FileProvider(out)}, lambda: T0, f"i{n}") for n in range(4)]
    await asyncio.gather(*(d.run_once() for d in fleet))
    sent = [line["message_id"] for line in lines(out)]
    assert sorted(sent) == sorted(message(i)["_id"] for i in range(60))
    assert await store.schedules.count_documents({}) == 0 and await store.outcomes.count_documents({}) == 60
    assert published == []


async def test_failures_are_retried_after_the_back_off_and_the_last_one_is_reported_once(mongo, namespace, tmp_path):
    store, published = await setup(mongo, namespace)
    now = [T0]
    out = tmp_path / "sent.jsonl"
    flaky = deliverer(store, published, {"sms": FailingFirst(FileProvider(out), 1)}, lambda: now[0], "a")
    down = deliverer(store, published, {"email": FailingFirst(FileProvider(out), 99)}, lambda: now[0], "b")
    ok, doomed = message(1), message(2, "email")
    for m in (ok, doomed):
        await store.add_messages([m])
        await store.schedule(m, 1, T0)

    await flaky.run_once()
    await down.run_once()
    assert (await store.schedules.find_one({"_id": attempt_id(ok["_id"], 2)}))["due_at"] == T0 + timedelta(seconds=10)
    now[0] = T0 + timedelta(seconds=9)
    await flaky.run_once()
    assert lines(out) == []  # not before the back-off
    now[0] = T0 + timedelta(seconds=10)
    await flaky.run_once()
    assert [line["message_id"] for line in lines(out)] == [ok["_id"]]

    for step in (10, 30, 31):  # second attempt at +10 s, third 20 s after it
        now[0] = T0 + timedelta(seconds=step)
        await down.run_once()
        await flaky.run_once()  # another instance looks too
    outcomes = await store.outcomes_for([doomed["_id"]])
    assert [o["ok"] for o in outcomes[doomed["_id"]]] == [False, False, False]
    assert await store.schedules.count_documents({}) == 0
    (event,) = published
    assert (event.notification_id, event.attempts, event.error) == (doomed["_id"], 3, "gateway down")
    assert event.causation_id == "ev-2" and event.correlation_id == "call-2"
    assert await store.failures.count_documents({}) == 1


async def test_an_attempt_whose_claimant_died_is_closed_after_the_lease_and_retried(mongo, namespace, tmp_path):
    store, published = await setup(mongo, namespace)
    m = message(7)
    await store.add_messages([m])
    await store.schedule(m, 1, T0)
    schedule = await store.schedules.find_one({"_id": attempt_id(m["_id"], 1)})
    await store.claim(schedule, T0, "dead-instance")  # claimed, then the process died: no outcome
    now = [T0 + timedelta(seconds=30)]
    out = tmp_path / "sent.jsonl"
    survivor = deliverer(store, published, {"sms": FileProvider(out)}, lambda: now[0], "alive", lease_s=60)
    await survivor.run_once()
    assert await store.outcome_of(schedule["_id"]) is None  # within the lease: maybe still sending
    now[0] = T0 + timedelta(seconds=61)
    await survivor.run_once()
    first = await store.outcome_of(schedule["_id"])
    assert not first["ok"] and "interrupted" in first["error"]
    now[0] = T0 + timedelta(seconds=80)
    await survivor.run_once()
    assert [line["message_id"] for line in lines(out)] == [m["_id"]]
    assert (await store.outcome_of(attempt_id(m["_id"], 2)))["ok"]


async def test_messages_of_a_redelivered_event_are_recorded_once(mongo, namespace):
    store, _ = await setup(mongo, namespace)
    a, b, c = message(1), message(2), message(3)
    assert await store.add_messages([a, b]) == [True, True]
    assert await store.add_messages([a, c, b]) == [False, True, False]
    assert await store.messages.count_documents({}) == 3


async def test_a_batch_redone_after_a_crash_adds_what_is_missing_and_sends_nothing_twice(mongo, namespace, tmp_path):
    """A batch killed after its message writes, one of whose messages was delivered meanwhile, is redelivered:
    the missing first attempts are added, the delivered message is left alone, the unsendable one is reported
    with the same event each time."""
    from zoneinfo import ZoneInfo

    from kefu_contracts import MEMBER_JOINED, MemberJoined
    from kefu_notifications.domain.batch import cause_of, compose
    from kefu_notifications.domain.directory import default_directory
    from kefu_notifications.domain.templates import default_templates
    from kefu_notifications.notify import Notifier

    store, published = await setup(mongo, namespace)
    out = tmp_path / "sent.jsonl"
    loop = deliverer(store, published, {"sms": FileProvider(out)}, lambda: T0 + timedelta(minutes=1), "a")
    notifier = Notifier(store, default_templates(), None, ZoneInfo("Asia/Shanghai"), loop.retry, {"sms"},
                        loop.failures)
    contacts = [{"phone": "13900000001"}] * 4 + [{"email": "x@example.com"}]  # no email provider: unsendable
    events = [MemberJoined(event_id=f"ev-{i}", occurred_at=T0, correlation_id=f"c-{i}", causation_id=f"c-{i}",
                           customer_id=f"C{i}",
                           member_id=f"M{i}", tier="regular", source="application", joined_at=T0,
                           contact={"name": "王", **c}) for i, c in enumerate(contacts)]
    causes = [cause_of(MEMBER_JOINED, e, default_directory(), {}) for e in events]
    messages = compose(causes, notifier.rules, T0).messages
    # the first try: messages 0-2 written, then killed; message 0 then delivered by a loop
    assert await store.record_messages(messages[:3]) == set()
    await store.schedule_first_attempts(messages[:1])
    await loop.run_once()
    assert [line["message_id"] for line in lines(out)] == [messages[0].id]
    assert await store.schedules.count_documents({}) == 0

    failed = await notifier.record(causes, T0 + timedelta(seconds=30))  # the redelivered batch
    pending = {s["message_id"] for s in await store.schedules.find({}).to_list()}
    assert pending == {m.id for m in messages[1:4]}, "missing first attempts added, the delivered one not"
    assert [f.notification_id for f in failed] == [messages[4].id]
    again = await notifier.record(causes, T0 + timedelta(minutes=2))  # and once more
    assert [f.to_json_bytes() for f in again] == [f.to_json_bytes() for f in failed]
    assert await store.failures.count_documents({}) == 1 and await store.messages.count_documents({}) == 5
    await loop.run_once()
    sent = [line["message_id"] for line in lines(out)]
    assert sorted(sent) == sorted(m.id for m in messages[:4]), "each message sent once"


async def test_a_burst_drains_batch_after_batch_and_three_draining_instances_send_each_message_once(
        mongo, namespace, tmp_path):
    store, published = await setup(mongo, namespace)
    msgs = [message(i) for i in range(230)]
    await store.add_messages(msgs)
    for m in msgs:
        await store.schedule(m, 1, T0)
    out = tmp_path / "sent.jsonl"

    def fleet(n: int, batch: int) -> list[Deliverer]:
        out_ = []
        for k in range(n):
            d = deliverer(store, published, {"sms": FileProvider(out)}, lambda: T0, f"d{k}")
            d.batch = batch
            out_.append(d)
        return out_

    (one,) = fleet(1, 50)
    assert await one.run_once() == 50  # a single pass takes one batch
    assert await store.schedules.count_documents({}) == 180
    await asyncio.gather(*(d.drain() for d in fleet(3, 40)))  # the rest, batch after batch, at once
    assert await store.schedules.count_documents({}) == 0
    sent = Counter(line["message_id"] for line in lines(out))
    assert set(sent) == {m["_id"] for m in msgs} and set(sent.values()) == {1}
    assert published == []
