"""A real kefu service seen by ``kefu lag``: OK while it keeps up, STOP once it is killed with work waiting."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any

import pytest
from kefu_contracts import CALL_RECEIVED, Topics

from support.kafka_io import call_payload, send_json
from support.waiting import eventually

pytestmark = pytest.mark.integration


async def test_kefu_lag_follows_the_intake_service(infra, namespace, producer, services) -> None:
    (intake,) = services("intake")
    topic, group = Topics(namespace)(CALL_RECEIVED), f"{namespace}.kefu-intake"
    argv = [sys.executable, "-m", "kefu_cli.main", "lag", "--bootstrap", infra.kafka_bootstrap, "--namespace",
            namespace, "--samples", "2", "--interval", "0.2", "--stop-after", "1", "--json"]

    async def lag_report() -> tuple[int, dict[str, Any]]:
        done = await asyncio.to_thread(subprocess.run, argv, capture_output=True, text=True, timeout=120)
        return done.returncode, json.loads(done.stdout)

    for i in range(6):
        await send_json(producer, topic, call_payload(i), key=f"k{i}")
    code, report = await eventually(
        lag_report, lambda r: [(g["group"], g["status"], g["total_lag"]) for g in r[1]["groups"]] == [(group, "OK", 0)],
        timeout=90, interval=0.5, what="intake caught up",
    )
    assert code == 0 and {p["topic"] for p in report["groups"][0]["partitions"]} >= {topic}

    intake.kill()
    for i in range(6, 12):
        await send_json(producer, topic, call_payload(i), key=f"k{i}")
    code, report = await eventually(
        lag_report, lambda r: r[1]["groups"][0]["status"] == "STOP", timeout=90, interval=0.5, what="intake STOP"
    )
    assert code == 1
    (stopped,) = report["groups"]
    assert stopped["total_lag"] >= 6 and stopped["max_lag_seconds"] > 0
