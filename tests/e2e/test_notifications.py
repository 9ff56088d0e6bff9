"""Notifications on the real stack: quiet hours, exactly-once delivery with two instances and a restart,
retries with back-off, and failures that end in ``notification.failed``.

Deliveries are counted where they arrive: at a local webhook receiver that verifies
each request's HMAC signature, or in the file provider's JSON lines.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import threading
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from kefu_contracts import CaseAssigned, ComplaintEscalated, Event, SurveyDue, Topics
from kefu_notifications.adapters.providers import MESSAGE_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from kefu_notifications.domain.keys import message_id

from e2e.test_case_pipeline import no_dead_letters
from support import auth
from support.kafka_io import read_all
from support.lag import lag
from support.waiting import eventually

pytestmark = pytest.mark.e2e

SECRET = "e2e-shared-secret"


class WebhookReceiver:
    """A real HTTP server that verifies kefu's signature and answers 500 for the first ``fail_first`` requests
    (or always, with ``always_fail``); it records every request it verified."""

    def __init__(self, secret: str = SECRET, fail_first: int = 0, always_fail: bool = False) -> None:
        self.secret = secret.encode()
        self.fail_first = fail_first
        self.always_fail = always_fail
        self.requests: list[dict[str, Any]] = []  # every verified request: {message_id, accepted, body}
        self.bad_signatures = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                status = receiver._receive(body, self.headers)
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"id": "rcv-1"}' if status == 200 else b'{"error": "no"}')

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _receive(self, body: bytes, headers: Any) -> int:
        if not hmac.compare_digest(headers.get(SIGNATURE_HEADER, ""), sign(self.secret, body)) or \
                not headers.get(TIMESTAMP_HEADER):
            with self._lock:
                self.bad_signatures += 1
            return 401
        payload = json.loads(body)
        assert payload["message_id"] == headers.get(MESSAGE_ID_HEADER)
        with self._lock:
            accepted = not self.always_fail and len(self.requests) >= self.fail_first
            self.requests.append({"message_id": payload["message_id"], "accepted": accepted, "body": payload})
        return 200 if accepted else 500

    def accepted(self) -> Counter[str]:
        with self._lock:
            return Counter(r["message_id"] for r in self.requests if r["accepted"])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self) -> "WebhookReceiver":
        self.thread.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


def now() -> datetime:
    return datetime.now(timezone.utc)


def envelope() -> dict[str, Any]:
    return {"event_id": f"ev-{uuid.uuid4()}", "occurred_at": now(), "correlation_id": f"call-{uuid.uuid4()}",
            "causation_id": f"ev-{uuid.uuid4()}"}


def case_assigned(i: int, department: str = "engineering", assignee: str | None = "eng-01") -> CaseAssigned:
    return CaseAssigned(**envelope(), case_id=f"case-{uuid.uuid4().hex[:8]}", department=department,
                        assignee=assignee, kind="repair", summary=f"第{i}户 卫生间漏水", rule="repair.in_warranty")


def survey_due(**overrides: Any) -> SurveyDue:
    data = {**envelope(), "survey_id": f"sv-{uuid.uuid4().hex[:8]}", "kind": "repair_return_visit",
            "customer": {"customer_id": f"C-{uuid.uuid4().hex[:6]}", "name": "陈女士", "phone": "13912345678"},
            "case_id": "case-1", "questionnaire_id": "q-repair", "due_at": now(),
            "expires_at": now() + timedelta(days=7), "preferred_channel": "sms"}
    data.update(overrides)
    return SurveyDue.model_validate(data)


async def publish(producer, ns: str, topic: str, event: Event) -> None:
    await producer.send_and_wait(Topics(ns)(topic), event.to_json_bytes(), key=event.kafka_key().encode())


def directory(tmp_path: Path, webhook_url: str) -> str:
    path = tmp_path / "staff.toml"
    path.write_text(f'[departments.engineering]\nname = "工程部"\nwebhook = "{webhook_url}"\n', encoding="utf-8")
    return str(path)


def fast(tmp_path: Path, **env: str) -> dict[str, str]:
    """Settings for a quick run: short loops, short back-off, a file provider in the test's directory."""
    return {"KEFU_DELIVERY_INTERVAL_S": "0.3", "KEFU_RETRY_BASE_S": "0.3", "KEFU_RETRY_CAP_S": "1",
            "KEFU_WEBHOOK_SECRET": SECRET, "KEFU_FILE_PROVIDER_PATH": str(tmp_path / "sent.jsonl"),
            "KEFU_QUIET_HOURS": "", **env}


def sent_lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


async def get(url: str, who: str = "agent", **params: Any) -> Any:
    """A GET as ``who`` (a hotline agent by default: sees texts in clear, as the owner's caller would)."""
    async with auth.client(url, who, timeout=10) as client:
        response = await client.get(params.pop("path"), params=params)
        response.raise_for_status()
        return response.json()


async def test_a_survey_due_in_quiet_hours_goes_out_when_they_end_and_not_before(services, producer, namespace,
                                                                                 tmp_path, infra):
    window_end = now() + timedelta(seconds=30)
    quiet = f"{(now() - timedelta(minutes=1)):%H:%M:%S}-{window_end:%H:%M:%S}"
    (notes,) = services("notifications", **fast(tmp_path, KEFU_QUIET_HOURS=quiet, KEFU_QUIET_HOURS_ZONE="UTC"))
    event = survey_due()
    await publish(producer, namespace, "survey.due", event)
    published_at = now()
    assert published_at < window_end - timedelta(seconds=5), "the service took too long to start for this test"

    customer = f"customer:{event.customer.customer_id}"
    (message,) = await eventually(lambda: get(notes.url, path="/notifications", recipient=customer),
                                  lambda ms: len(ms) == 1, what="the survey invitation recorded")
    assert message["status"] == "scheduled" and message["channel"] == "sms"
    assert datetime.fromisoformat(message["send_at"]) == window_end.replace(microsecond=0)
    assert "陈女士" in message["text"] and message["address"] != "13912345678"  # masked in the API

    path = tmp_path / "sent.jsonl"
    while now() < window_end - timedelta(seconds=1):  # inside quiet hours nothing goes out
        assert sent_lines(path) == []
        await asyncio.sleep(0.5)
    (line,) = await eventually(lambda: asyncio.to_thread(sent_lines, path), lambda lines: len(lines) == 1,
                               what="the invitation sent after quiet hours")
    assert line["message_id"] == message["id"] and line["channel"] == "sms"
    assert datetime.fromisoformat(line["sent_at"]) >= window_end.replace(microsecond=0)
    done = await get(notes.url, path=f"/notifications/{message['id']}")
    assert done["status"] == "sent" and len(done["attempts"]) == 1 and done["attempts"][0]["ok"]
    await no_dead_letters(infra, namespace)


async def test_two_instances_and_a_restart_send_each_message_exactly_once(services, producer, namespace,
                                                                          tmp_path, mongo):
    with WebhookReceiver() as receiver:
        env = fast(tmp_path, KEFU_STAFF_DIRECTORY_FILE=directory(tmp_path, receiver.url))
        first, second = services("notifications", "notifications", **env)
        events = [case_assigned(i) for i in range(40)]
        for e in events[:20]:
            await publish(producer, namespace, "case.assigned", e)
        await eventually(lambda: asyncio.to_thread(lambda: len(receiver.accepted())), lambda n: n >= 5,
                         what="deliveries under way")
        first.stop()  # a restart while messages are being delivered
        for e in events[20:]:
            await publish(producer, namespace, "case.assigned", e)
        first.start()
        for e in events[:10]:  # and a redelivery of some events
            await publish(producer, namespace, "case.assigned", e)

        await eventually(lambda: asyncio.to_thread(lambda: len(receiver.accepted())), lambda n: n == 40,
                         what="40 webhook deliveries")
        db = mongo[f"{namespace}_kefu_notifications"]
        await eventually(lambda: db.schedules.count_documents({}), lambda n: n == 0, what="outbox empty")
        await asyncio.sleep(1)
        accepted = receiver.accepted()
        assert len(accepted) == 40 and set(accepted.values()) == {1}, "a message was sent twice"
        assert receiver.bad_signatures == 0
        # per event: the department's inbox and webhook, the assignee's inbox; one notice per case
        assert await db.messages.count_documents({}) == 120
        assert await db.messages.count_documents({"channel": "inbox"}) == 80
        assert await db.notifications.count_documents({}) == 40
        statuses = await get(second.url, path="/notifications", limit=500)
        assert len(statuses) == 120 and {m["status"] for m in statuses} == {"sent"}
        bodies = {r["body"]["case_id"] for r in receiver.requests}
        assert bodies == {e.case_id for e in events}


async def test_a_provider_that_fails_twice_is_retried_with_back_off_and_sends_once(services, producer, namespace,
                                                                                   tmp_path):
    with WebhookReceiver(fail_first=2) as receiver:
        (notes,) = services("notifications", **fast(tmp_path, KEFU_STAFF_DIRECTORY_FILE=directory(tmp_path,
                                                                                                   receiver.url)))
        event = case_assigned(1, assignee=None)
        await publish(producer, namespace, "case.assigned", event)
        await eventually(lambda: asyncio.to_thread(receiver.accepted), lambda c: sum(c.values()) == 1,
                         what="the webhook delivered")
        sent = await get(notes.url, path="/notifications", recipient="department:engineering",
                         case_id=event.case_id, status="sent")
        assert sorted(m["channel"] for m in sent) == ["inbox", "webhook"]
        (webhook,) = [m for m in sent if m["channel"] == "webhook"]
        attempts = webhook["attempts"]
        assert [a["ok"] for a in attempts] == [False, False, True]
        assert all("HTTP 500" in a["error"] for a in attempts[:2])
        started = [datetime.fromisoformat(a["started_at"]) for a in attempts]
        assert started[2] - started[1] > started[1] - started[0] > timedelta(0)  # the wait doubled
        await asyncio.sleep(1)
        assert len(receiver.requests) == 3 and sum(receiver.accepted().values()) == 1


async def test_a_provider_that_always_fails_ends_failed_with_a_notification_failed_event(
        services, producer, namespace, tmp_path, infra):
    with WebhookReceiver(always_fail=True) as receiver:
        (notes,) = services("notifications", **fast(tmp_path, KEFU_MAX_ATTEMPTS="3",
                                                    KEFU_STAFF_DIRECTORY_FILE=directory(tmp_path, receiver.url)))
        event = case_assigned(1, assignee=None)
        await publish(producer, namespace, "case.assigned", event)
        broken = survey_due(case_id=None)  # its template needs the case id
        await publish(producer, namespace, "survey.due", broken)

        failed = await eventually(lambda: get(notes.url, path="/notifications", status="failed"),
                                  lambda ms: len(ms) == 2, what="two failed messages")
        by_channel = {m["channel"]: m for m in failed}
        webhook, sms = by_channel["webhook"], by_channel["sms"]
        assert len(webhook["attempts"]) == 3 and "HTTP 500" in webhook["error"]
        assert sms["attempts"] == [] and "survey_due.repair_return_visit" in sms["error"] \
            and "case_id" in sms["error"]
        assert len(receiver.requests) == 3

        topic = Topics(namespace)("notification.failed")
        records = await eventually(lambda: read_all(infra, topic, 1000), lambda rs: len(rs) >= 2,
                                   what="notification.failed events")
        events = {json.loads(r.value)["notification_id"]: json.loads(r.value) for r in records}
        assert set(events) == {webhook["id"], sms["id"]}
        assert events[webhook["id"]]["attempts"] == 3 and events[webhook["id"]]["cause_event_id"] == event.event_id
        assert events[webhook["id"]]["recipient"] == "department:engineering"
        assert events[sms["id"]]["template"] == "survey_due.repair_return_visit"
        assert {r.key for r in records} == {b"department:engineering", f"customer:{broken.customer.customer_id}".encode()}
        inbox = await get(notes.url, path="/notifications", recipient="department:engineering", status="sent")
        assert [m["channel"] for m in inbox] == ["inbox"]  # the inbox got it although the webhook did not


async def test_an_owner_preference_chooses_channel_and_language(services, producer, namespace, tmp_path):
    (notes,) = services("notifications", **fast(tmp_path))
    event = survey_due(customer={"customer_id": "C-pref", "name": "Ms Chen", "phone": "13912345678",
                                 "email": "chen@example.com"})
    async with auth.client(notes.url, "agent", timeout=10) as client:  # the agent, on the owner's request
        assert (await client.get("/preferences/C-pref")).status_code == 404
        assert (await client.put("/preferences/C-pref", json={"channel": "fax"})).status_code == 422
        response = await client.put("/preferences/C-pref", json={"channel": "email", "locale": "en"})
        assert response.json() == {"customer_id": "C-pref", "channel": "email", "locale": "en"}
        assert (await client.get("/notifications/no-such-message")).status_code == 404
    await publish(producer, namespace, "survey.due", event)  # the event prefers sms; the owner asked for email

    path = tmp_path / "sent.jsonl"
    (line,) = await eventually(lambda: asyncio.to_thread(sent_lines, path), lambda lines: len(lines) == 1,
                               what="the invitation sent")
    assert line["channel"] == "email" and line["to"] != "chen@example.com"  # masked in the demo file
    assert line["subject"] == "How did our repair go?" and line["text"].startswith("Dear Ms Chen,")
    message = await get(notes.url, path=f"/notifications/{line['message_id']}")
    assert message["status"] == "sent" and message["locale"] == "en" and message["recipient"] == "customer:C-pref"


async def test_a_killed_instance_loses_no_message(services, producer, namespace, tmp_path, mongo):
    """SIGKILL mid-delivery: attempts it had claimed are closed after the lease and sent again; nothing is lost.

    A message the dead instance had already handed to the provider may arrive twice (the outcome was lost
    with the process); the receiver gets the same message id and can drop it. At most the attempts in
    flight at the kill can repeat.
    """
    with WebhookReceiver() as receiver:
        env = fast(tmp_path, KEFU_STAFF_DIRECTORY_FILE=directory(tmp_path, receiver.url), KEFU_CLAIM_LEASE_S="3",
                   KEFU_DELIVERY_CONCURRENCY="4")
        first, _second = services("notifications", "notifications", **env)
        events = [case_assigned(i, assignee=None) for i in range(40)]
        for e in events:
            await publish(producer, namespace, "case.assigned", e)
        await eventually(lambda: asyncio.to_thread(lambda: len(receiver.accepted())), lambda n: n >= 5,
                         what="deliveries under way")
        first.kill()
        first.start()
        await eventually(lambda: asyncio.to_thread(lambda: len(receiver.accepted())), lambda n: n == 40,
                         what="every message delivered")
        db = mongo[f"{namespace}_kefu_notifications"]
        await eventually(lambda: db.schedules.count_documents({}), lambda n: n == 0, what="outbox empty")
        accepted = receiver.accepted()
        assert set(accepted) == {m["_id"] for m in await db.messages.find({"channel": "webhook"}).to_list()}
        assert sum(accepted.values()) - 40 <= 4


async def test_an_escalation_reaches_the_approver_of_its_level_and_the_department(services, producer, namespace,
                                                                                  tmp_path):
    (notes,) = services("notifications", **fast(tmp_path))
    escalation = ComplaintEscalated(**envelope(), case_id="case-esc", level=2, previous_level=1,
                                    reason="sla_breach", approver_role="cs_general_manager", project="滨江花园",
                                    department="property", summary="物业噪音投诉未按时响应",
                                    respond_by=now() + timedelta(hours=2), resolve_by=now() + timedelta(days=1))
    await publish(producer, namespace, "complaint.escalated", escalation)
    messages = await eventually(lambda: get(notes.url, path="/notifications", case_id="case-esc"),
                                lambda ms: len(ms) == 2, what="two messages")
    assert {(m["recipient"], m["channel"], m["status"]) for m in messages} == {
        ("role:cs_general_manager", "inbox", "sent"), ("department:property", "inbox", "sent")}
    approver = next(m for m in messages if m["recipient"].startswith("role:"))
    assert "请审批处理方案" in approver["text"] and "由 1 级升至 2 级" in approver["text"]
    inbox = await get(notes.url, path="/notifications", recipient="role:cs_general_manager", channel="inbox")
    assert [m["id"] for m in inbox] == [approver["id"]]


@pytest.mark.timeout(600)
async def test_sigkill_in_a_burst_of_case_assigned_leaves_one_message_per_event_recipient_and_channel(
        services, producer, namespace, tmp_path, mongo, infra):
    """900 case.assigned consumed in batches of 50, notifications SIGKILLed once in each of three bursts.

    Every event ends with exactly its messages (department inbox, email, webhook; assignee inbox) and its
    notice; every email goes out (at most the attempts in flight at a kill twice); the webhooks, which have no
    secret, fail at once, and each failure is republished with the same event id and content.
    """
    staff = tmp_path / "staff.toml"
    staff.write_text('[departments.engineering]\nname = "工程部"\nemail = "eng@example.com"\n'
                     'webhook = "https://eng.example.com/hook"\n', encoding="utf-8")
    env = fast(tmp_path, KEFU_STAFF_DIRECTORY_FILE=str(staff), KEFU_BATCH_MAX_RECORDS="50",
               KEFU_CLAIM_LEASE_S="3", KEFU_DELIVERY_CONCURRENCY="4")
    del env["KEFU_WEBHOOK_SECRET"]  # no provider for webhooks: those messages are unsendable
    (notes,) = services("notifications", **env)
    topic = Topics(namespace)("case.assigned")
    events = [case_assigned(i, assignee=f"eng-{i % 5:02d}") for i in range(900)]
    db = mongo[f"{namespace}_kefu_notifications"]

    # three waves of 300, each killed a little way in: the kill lands somewhere in a batch's writes,
    # publishes or commit, and the restart redoes the uncommitted batches
    for wave in range(3):
        for e in events[wave * 300:(wave + 1) * 300]:
            await producer.send(topic, e.to_json_bytes(), key=e.kafka_key().encode())
        await producer.flush()
        await eventually(lambda: db.notifications.count_documents({}), lambda n: n >= wave * 300 + 60,
                         timeout=120, interval=0.02, what=f"{wave * 300 + 60} notices")
        notes.kill()
        assert await db.notifications.count_documents({}) < (wave + 1) * 300, "the kill came too late"
        notes.start()

    await eventually(lambda: db.notifications.count_documents({}), lambda n: n == len(events), timeout=300,
                     interval=0.5, what=f"{len(events)} notices")
    await eventually(lambda: lag(infra.kafka_bootstrap, f"{namespace}.kefu-notifications", topic),
                     lambda n: n == 0, timeout=120, what="notifications caught up")
    await eventually(lambda: db.schedules.count_documents({}), lambda n: n == 0, timeout=180, what="outbox empty")

    expected = {message_id(e.event_id, recipient, channel): e.event_id for e in events
                for recipient, channel in (("department:engineering", "inbox"), ("department:engineering", "email"),
                                           ("department:engineering", "webhook"),
                                           (f"staff:{e.assignee}", "inbox"))}
    stored = await db.messages.find({}, {"cause_event_id": 1, "channel": 1, "status": 1}).to_list()
    assert len(stored) == len(expected) and {m["_id"] for m in stored} == set(expected), "lost or extra messages"
    assert Counter(m["channel"] for m in stored) == {"inbox": 1800, "email": 900, "webhook": 900}
    notices = await db.notifications.find({}).to_list()
    assert sorted(n["event_id"] for n in notices) == sorted(e.event_id for e in events)

    emails = {m["_id"] for m in stored if m["channel"] == "email"}
    sent = Counter(line["message_id"] for line in sent_lines(tmp_path / "sent.jsonl"))
    assert set(sent) == emails, "an email was never sent"
    assert sum(sent.values()) - len(emails) <= 3 * 4, "more repeats than attempts in flight at the kills"
    assert {m["status"] for m in stored if m["channel"] == "email"} == {"sent"}

    webhooks = {m["_id"] for m in stored if m["channel"] == "webhook"}
    assert {m["status"] for m in stored if m["channel"] == "webhook"} == {"failed"}
    assert {f["_id"] for f in await db.failures.find({}).to_list()} == webhooks
    failed: dict[str, set[bytes]] = {}
    for record in await read_all(infra, Topics(namespace)("notification.failed"), 1000):
        failed.setdefault(json.loads(record.value)["notification_id"], set()).add(record.value)
    assert set(failed) == webhooks, "a failure was never published"
    assert all(len(copies) == 1 for copies in failed.values()), "a republished failure differs from the first"
    await no_dead_letters(infra, namespace)
