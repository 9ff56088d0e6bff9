"""``kefu dlq`` on the real stack with the real intake service: see a dead letter and why, replay a fixed
one to intake (processed once however often it is replayed), purge, and find every action recorded."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from kefu_cli import dlq, dlq_args
from kefu_contracts import TOPICS, Topics
from kefu_kit.dead_letter import (
    H_ERROR,
    H_ERROR_TYPE,
    H_FAILED_AT,
    H_GROUP,
    H_OFFSET,
    H_PARTITION,
    H_REASON,
    H_TOPIC,
)

from support.kafka_io import call_payload, read_all, send_json
from support.lag import lag
from support.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

PHONE = "13912345678"


async def cli(capsys: pytest.CaptureFixture[str], infra: Any, namespace: str, *argv: str) -> tuple[int, str, str]:
    """``kefu dlq ...`` in this process (in a thread: the command runs its own event loop)."""
    capsys.readouterr()
    code = await asyncio.to_thread(dlq.main, [*argv, "--bootstrap", infra.kafka_bootstrap, "--namespace", namespace])
    out = capsys.readouterr()
    return code, out.out, out.err


def cli_process(infra: Any, namespace: str, *argv: str) -> subprocess.CompletedProcess[str]:
    """``python -m kefu_cli.main dlq ...`` as a real process, namespace and bootstrap from the environment."""
    env = {**os.environ, "KEFU_KAFKA_BOOTSTRAP": infra.kafka_bootstrap, "KEFU_NAMESPACE": namespace}
    return subprocess.run([sys.executable, "-m", "kefu_cli.main", "dlq", *argv], env=env, capture_output=True,
                          text=True, timeout=120)


async def dead_letter_as_the_guard_does(producer: Any, topic: str, payload: dict[str, Any], key: str) -> None:
    """A valid event that failed for a reason since fixed (a handler bug), dead-lettered with the guard's headers."""
    headers = {"content-type": "application/json", H_ERROR: "KeyError: 'a bug in the handler'",
               H_ERROR_TYPE: "KeyError", H_REASON: "handler_error", H_FAILED_AT: "2026-11-20T08:00:00+00:00",
               H_TOPIC: topic, H_PARTITION: "0", H_OFFSET: "99", H_GROUP: "x.kefu-intake"}
    await producer.send_and_wait(topic + ".dlq", json.dumps(payload, ensure_ascii=False).encode(), key=key.encode(),
                                 headers=[(k, v.encode()) for k, v in headers.items()])


async def test_list_show_replay_purge_and_history(services, producer, mongo, namespace, infra, capsys, monkeypatch):
    services("intake")
    topic = Topics(namespace)("call.received")
    dlq_topic = topic + ".dlq"
    contacts = mongo[f"{namespace}_kefu_intake"].contacts
    good = call_payload(1)
    bad = call_payload(2, channel="fax", caller={"name": "无渠道", "phone": PHONE})
    await send_json(producer, topic, bad, key=PHONE)
    await send_json(producer, topic, good, key=PHONE)
    await eventually(lambda: contacts.find_one({"_id": good["event_id"]}), lambda d: d is not None, what="good call")
    await eventually(lambda: read_all(infra, dlq_topic, 1000), lambda m: len(m) == 1, what="bad call dead-lettered")

    # list: one waiting, why, and when
    code, out, _ = await cli(capsys, infra, namespace, "list", "--json")
    assert code == 0
    rows = {r["topic"]: r for r in json.loads(out)}
    assert set(rows) == set(TOPICS) and rows["case.opened"]["waiting"] == 0
    row = rows["call.received"]
    assert (row["waiting"], row["replayed"], row["by_reason"], row["by_error_type"]) == (
        1, 0, {"contract": 1}, {"ValidationError": 1})
    assert row["oldest_failure"] and row["oldest_failure"] == row["newest_failure"]

    # show, as a real process: the error, where it came from, the body; the phone masked everywhere
    shown = cli_process(infra, namespace, "show", "call.received")
    assert shown.returncode == 0, shown.stderr
    for expected in (f"{dlq_topic} partition 0 offset 0", f"from:        {topic} partition", "kefu-intake",
                     "contract (ValidationError)", "contract violation: channel", bad["event_id"], '"channel": "fax"',
                     "139****5678"):
        assert expected in shown.stdout
    assert PHONE not in shown.stdout + shown.stderr

    # a valid call that failed for a fixable reason: replay it, three times in all
    fixable = call_payload(3)
    await dead_letter_as_the_guard_does(producer, topic, fixable, key="13800001111")
    code, out, _ = await cli(capsys, infra, namespace, "replay", "call.received", "--offset", "1", "--dry-run")
    assert code == 0 and "dry run, nothing sent" in out and fixable["event_id"] in out
    await asyncio.sleep(1)
    assert await contacts.find_one({"_id": fixable["event_id"]}) is None
    code, out, _ = await cli(capsys, infra, namespace, "replay", "call.received", "--offset", "1", "--actor", "wang")
    assert code == 0 and f"{dlq_topic}/0/1 -> {topic}" in out
    await eventually(lambda: contacts.find_one({"_id": fixable["event_id"]}), lambda d: d is not None,
                     what="replayed call processed")
    for _ in range(2):
        code, out, _ = await cli(capsys, infra, namespace, "replay", "call.received", "--from", "1", "--to", "1")
        assert code == 0
    await eventually(lambda: lag(infra.kafka_bootstrap, f"{namespace}.kefu-intake", topic), lambda n: n == 0,
                     what="intake caught up")
    assert await contacts.count_documents({"_id": fixable["event_id"]}) == 1
    opened = [json.loads(m.value) for m in await read_all(infra, Topics(namespace)("case.opened"), 1000)]
    assert len({e["event_id"] for e in opened if e["correlation_id"] == fixable["event_id"]}) == 1

    # what was sent back: the original key and bytes, the original headers without the guard's, replay headers
    replays = [m for m in await read_all(infra, topic, 1000) if json.loads(m.value)["event_id"] == fixable["event_id"]]
    assert len(replays) == 3
    for m in replays:
        headers = dict(m.headers)
        assert m.key == b"13800001111" and json.loads(m.value) == fixable
        assert headers["kefu-replayed-from"] == f"{dlq_topic}/0/1".encode() and headers["kefu-replayed-at"]
        assert headers["content-type"] == b"application/json"
        assert not [k for k in headers if k.startswith("kefu-dlq-")]
    assert len({m.partition for m in replays}) == 1  # same key, same partition
    assert code == 0 and f"{dlq_topic}/0/1 -> {topic}/{replays[-1].partition}/{replays[-1].offset}" in out

    # refused: offsets that are not there, or not waiting
    code, _, err = await cli(capsys, infra, namespace, "replay", "call.received", "--offset", "7")
    assert code == dlq_args.EXIT_REFUSED and "offset 7 not waiting" in err and "holds offsets 0..1" in err
    code, out, _ = await cli(capsys, infra, namespace, "list", "call.received", "--json")
    assert [(r["waiting"], r["replayed"]) for r in json.loads(out)] == [(2, 1)]

    # purge: shown first, then needs the topic name typed; --yes deletes
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO("call.received\n"))
    code, _, err = await cli(capsys, infra, namespace, "purge", "call.received", "--all")
    assert code == dlq_args.EXIT_ABORTED and "will delete 2 message(s)" in err and "aborted, nothing deleted" in err
    code, _, err = await cli(capsys, infra, namespace, "purge", "call.received", "--before", "1", "--yes")
    assert code == 0 and "already replayed: 0, never replayed: 1" in err
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO(f"{dlq_topic}\n"))
    code, out, err = await cli(capsys, infra, namespace, "purge", "call.received", "--all", "--actor", "li")
    assert code == 0 and "already replayed: 1" in err and f"purged 1 message(s) from {dlq_topic}" in out
    code, out, _ = await cli(capsys, infra, namespace, "list", "call.received", "--json")
    assert [r["waiting"] for r in json.loads(out)] == [0]
    code, out, _ = await cli(capsys, infra, namespace, "show", "call.received")
    assert code == 0 and "no dead letters waiting" in out
    code, _, err = await cli(capsys, infra, namespace, "replay", "call.received", "--all")
    assert code == dlq_args.EXIT_REFUSED and "empty; offsets 0..1 were purged" in err

    # history: three replays and two purges, who, what, which event ids
    history = cli_process(infra, namespace, "history", "call.received", "--json")
    assert history.returncode == 0, history.stderr
    records = json.loads(history.stdout)
    assert [(r["action"], r["count"]) for r in records] == [("replay", 1)] * 3 + [("purge", 1), ("purge", 1)]
    assert records[0]["who"] == "wang" and records[-1]["who"] == "li"
    assert records[0]["event_ids"] == [fixable["event_id"]] and records[0]["targets"] == [topic]
    assert [r["sent_to"] for r in records[:3]] == [[f"{topic}/{m.partition}/{m.offset}"] for m in replays]
    assert records[3]["event_ids"] == [bad["event_id"]] and records[3]["partitions"] == [
        {"partition": 0, "from": 0, "to": 0, "count": 1}]
    text = cli_process(infra, namespace, "history")
    assert text.returncode == 0 and text.stdout.count("replay") == 3 and "by li" in text.stdout


async def test_looking_at_a_namespace_without_dead_letter_topics_creates_none(namespace, infra, capsys):
    code, out, _ = await cli(capsys, infra, namespace, "list", "call.received")
    assert code == 0 and "(topic not created yet)" in out
    code, out, _ = await cli(capsys, infra, namespace, "show", "call.received")
    assert code == 0 and "no dead letters waiting" in out
    for argv in (["show", "call.received", "--offset", "0"], ["replay", "call.received", "--all"],
                 ["purge", "call.received", "--all", "--yes"]):
        code, _, err = await cli(capsys, infra, namespace, *argv)
        assert code == dlq_args.EXIT_REFUSED and f"{namespace}.call.received.dlq does not exist" in err
    code, out, _ = await cli(capsys, infra, namespace, "history")
    assert code == 0 and "no dead-letter actions recorded" in out
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap)
    await admin.start()
    try:
        assert [t for t in await admin.list_topics() if t.startswith(namespace)] == []
    finally:
        await admin.close()
