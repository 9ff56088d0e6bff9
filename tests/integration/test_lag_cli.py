"""``kefu lag`` end to end on real groups, and the Prometheus collector fed by a real monitor."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from kefu_kit.lag import LagCollector, LagMonitor, Thresholds, kefu_groups_prefix
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from support.waiting import eventually

pytestmark = pytest.mark.integration


async def group_at(bootstrap: str, producer, topic: str, group: str, produced: int, committed: int) -> None:
    """A topic with ``produced`` messages and a group that committed ``committed`` and went away."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        await admin.close()
    for _ in range(produced):
        await producer.send_and_wait(topic, b"x")
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, 0)])
        await consumer.commit({TopicPartition(topic, 0): committed})
    finally:
        await consumer.stop()


def kefu_lag(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kefu_cli.main", "lag", *args],
                          capture_output=True, text=True, timeout=120)


async def test_kefu_lag_json_reports_stop_with_exit_code_1_and_ok_with_0(infra, namespace, producer) -> None:
    prefix = kefu_groups_prefix(namespace)
    await group_at(infra.kafka_bootstrap, producer, f"{namespace}.orders", f"{prefix}stopped", produced=6, committed=2)
    await group_at(infra.kafka_bootstrap, producer, f"{namespace}.quiet", f"{prefix}done", produced=3, committed=3)
    common = ["--bootstrap", infra.kafka_bootstrap, "--namespace", namespace, "--samples", "2", "--interval", "0.2",
              "--stop-after", "1", "--json"]

    async def run_all() -> tuple[int, dict[str, Any]]:
        done = await asyncio.to_thread(kefu_lag, *common)
        return done.returncode, json.loads(done.stdout)

    code, data = await eventually(run_all, lambda r: r[1]["groups"][1]["status"] == "STOP", timeout=60,
                                  interval=0.5, what="kefu lag sees STOP")
    assert code == 1 and data["ok"] is False
    done_group, stopped = data["groups"]
    assert (done_group["group"], done_group["status"], done_group["total_lag"]) == (f"{prefix}done", "OK", 0)
    assert stopped["group"] == f"{prefix}stopped"
    assert [(p["topic"], p["committed"], p["end"], p["lag"]) for p in stopped["partitions"]] == [
        (f"{namespace}.orders", 2, 6, 4)
    ]
    assert stopped["max_lag_seconds"] > 0

    only_done = await asyncio.to_thread(kefu_lag, *common, "--group", "done")
    assert only_done.returncode == 0, only_done.stderr
    assert [g["group"] for g in json.loads(only_done.stdout)["groups"]] == [f"{prefix}done"]

    table = await asyncio.to_thread(kefu_lag, *common[:-1])
    assert table.returncode == 1
    assert f"{prefix}stopped  STOP  total lag 4" in table.stdout
    assert f"{namespace}.orders" in table.stdout


def test_kefu_lag_says_why_when_kafka_is_unreachable() -> None:
    done = kefu_lag("--bootstrap", "127.0.0.1:1", "--samples", "1")
    assert done.returncode == 3
    assert "cannot read consumer lag from 127.0.0.1:1" in done.stderr


async def test_collector_exposes_a_real_groups_lag(infra, namespace, producer) -> None:
    prefix = kefu_groups_prefix(namespace)
    await group_at(infra.kafka_bootstrap, producer, f"{namespace}.orders", f"{prefix}slow", produced=5, committed=1)
    registry = CollectorRegistry()
    async with LagMonitor(infra.kafka_bootstrap, prefix, Thresholds(stop_after_s=600)) as monitor:
        registry.register(LagCollector(monitor))
        await monitor.sample()
    families = {f.name: f.samples for f in text_string_to_metric_families(generate_latest(registry).decode())}
    labels = {"group": f"{prefix}slow", "topic": f"{namespace}.orders", "partition": "0"}
    assert [s.value for s in families["kefu_consumer_group_lag_messages"] if s.labels == labels] == [4.0]
    assert [s.value for s in families["kefu_consumer_group_committed_offset"] if s.labels == labels] == [1.0]
    assert [s.value for s in families["kefu_consumer_group_end_offset"] if s.labels == labels] == [5.0]
    current = [s.labels["status"] for s in families["kefu_consumer_group_status"] if s.value == 1.0]
    assert current == ["OK"]  # one lagging observation, committed just now: nothing to conclude yet
