"""The system under the bench: the intake, routing and notifications services as processes, and what they use.

A call is done when its notification record (``notifications.notifications``,
one per ``case.assigned``) is stored; latency is from its publish to that
record's ``created_at``. Progress is followed through the notifications
group's committed offsets on ``case.assigned`` (it commits after its effects),
not by counting the store: a count scans on SecantusDB and would load the
server being measured.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from collections.abc import Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from kefu_contracts import CALL_RECEIVED, CASE_ASSIGNED, CASE_OPENED, Topics
from kefu_kit import ensure_topics, make_client
from kefu_kit.auth import new_token, token_entry
from kefu_kit.settings import service_mongo_url
from prometheus_client.parser import text_string_to_metric_families

from .bench_pacing import publish
from .bench_report import hop_latencies, measured

SERVICES = ["intake", "routing", "notifications"]
HTTP_PORT_BASE = 18101


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process (``VmRSS`` in /proc/<pid>/status), in MB; None when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """CPU time a process has used so far (user + system, from /proc/<pid>/stat); None when it is gone.

    Per call, this is the cost that sets the ceiling on a machine of N cores, and unlike throughput it
    barely moves when something else runs beside the bench."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) ": state is field 3, utime 14, stime 15
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class System:
    """The three services of one bench namespace."""

    def __init__(self, env: dict[str, str], namespace: str, log_dir: Path, store_pids: dict[str, int]) -> None:
        self.env, self.ns, self.log_dir = env, namespace, log_dir
        self.topics = Topics(namespace)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.store_pids = store_pids

    def pids(self) -> dict[str, int]:
        return {**{s: p.pid for s, p in self.procs.items()}, **self.store_pids}

    def rss(self) -> dict[str, float | None]:
        return {name: rss_mb(pid) for name, pid in self.pids().items()}

    def cpu(self) -> dict[str, float | None]:
        return {name: cpu_seconds(pid) for name, pid in self.pids().items()}

    async def create_topics(self) -> None:
        await ensure_topics(self.env["KEFU_KAFKA_BOOTSTRAP"], self.topics.all_physical())

    async def start(self) -> None:
        # Services refuse to start without API tokens; the bench calls only /health, so one throwaway ops
        # token (never printed) unless the caller's environment brings its own.
        tokens = self.env.get("KEFU_TOKENS") or json.dumps([token_entry(new_token(), "ops", "bench")])
        for i, name in enumerate(SERVICES):
            log = open(self.log_dir / f"bench-{name}.log", "ab")
            self.procs[name] = subprocess.Popen([sys.executable, "-m", f"kefu_{name}"],
                                                env={**self.env, "KEFU_TOKENS": tokens,
                                                     "KEFU_HTTP_PORT": str(HTTP_PORT_BASE + i)},
                                                stdout=log, stderr=log)
        await self._wait_healthy([HTTP_PORT_BASE + i for i in range(len(SERVICES))])
        await asyncio.sleep(2)  # consumer groups join

    async def _wait_healthy(self, ports: list[int], timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        for port in ports:
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                self._check_alive()
                if time.monotonic() > deadline:
                    raise TimeoutError(f"service on port {port} not healthy")
                await asyncio.sleep(0.3)

    def _check_alive(self) -> None:
        if any(p.poll() is not None for p in self.procs.values()):
            raise RuntimeError(f"a service exited; see {self.log_dir}/bench-*.log")

    async def run(self, items: list[tuple[str, bytes, bytes]], offsets: list[float] | None) -> dict[str, Any]:
        """Publish ``items`` (burst, or on ``offsets``), wait until every one is notified; the figures."""
        bootstrap = self.env["KEFU_KAFKA_BOOTSTRAP"]
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=2)
        await producer.start()
        rss_start, cpu_start, (commands_start, docs_start) = self.rss(), self.cpu(), self.store_commands()
        try:
            sent, started = await publish(producer, self.topics(CALL_RECEIVED), items, offsets)
        finally:
            await producer.stop()
        await self._wait_notified(len(items), started)
        rss_end, cpu_end, (commands_end, docs_end) = self.rss(), self.cpu(), self.store_commands()
        done_at = await self._notified_at(set(sent), started)
        result = measured(sent, done_at, started)
        result["hop_ms"] = hop_latencies([
            ("publish", sent), ("intake", await self._stamped(CASE_OPENED, sent)),
            ("routing", await self._stamped(CASE_ASSIGNED, sent)), ("notifications", done_at)])
        result["sent_at"] = list(sent.values())  # in schedule order
        result["started"] = started
        result["rss_mb"] = {name: {"start": rss_start[name], "end": rss_end[name]} for name in rss_start}
        result["cpu_ms_per_call"] = {
            name: round((cpu_end[name] - cpu_start[name]) * 1000 / len(items), 3)
            for name in cpu_start if cpu_start[name] is not None and cpu_end[name] is not None}
        result["store_documents_per_call"] = {
            key: round((n - docs_start.get(key, 0.0)) / len(items), 2) for key, n in sorted(docs_end.items())
            if n > docs_start.get(key, 0.0)}
        result["store_commands_per_call"] = {
            name: round((commands_end[name] - commands_start[name]) / len(items), 2) for name in commands_start}
        return result

    def store_commands(self) -> tuple[dict[str, float], dict[str, float]]:
        """Each service's store commands so far (``kefu_store_commands_total`` on its /metrics), and the
        documents its writes carried per ``service command collection`` (``kefu_store_documents_total``)."""
        totals: dict[str, float] = {}
        documents: dict[str, float] = {}
        for i, name in enumerate(SERVICES):
            with urllib.request.urlopen(f"http://127.0.0.1:{HTTP_PORT_BASE + i}/metrics", timeout=10) as r:
                text = r.read().decode()
            totals[name] = 0.0
            for family in text_string_to_metric_families(text):
                for sample in family.samples:
                    if sample.name == "kefu_store_commands_total":
                        totals[name] += sample.value
                    elif sample.name == "kefu_store_documents_total":
                        key = f"{name} {sample.labels['command']} {sample.labels['collection']}"
                        documents[key] = documents.get(key, 0.0) + sample.value
        return totals, documents

    async def _wait_notified(self, count: int, started: float) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.env["KEFU_KAFKA_BOOTSTRAP"])
        await admin.start()
        group, topic = f"{self.ns}.kefu-notifications", self.topics(CASE_ASSIGNED)
        last_report = time.time()
        try:
            while True:
                offsets = await admin.list_consumer_group_offsets(group)
                done = sum(max(o.offset, 0) for tp, o in offsets.items() if tp.topic == topic)
                if done >= count:
                    return
                if time.time() - last_report > 10:
                    print(f"bench: system {done}/{count} notified after {time.time() - started:.0f}s",
                          file=sys.stderr)
                    last_report = time.time()
                self._check_alive()
                await asyncio.sleep(1)
        finally:
            await admin.close()

    async def _stamped(self, logical: str, ids: Mapping[str, float]) -> dict[str, float]:
        """When each of this run's calls reached ``logical``'s topic: the record timestamp (the producer's
        create time) of its first event there, by correlation id. Read once, after the run, from the start."""
        consumer = AIOKafkaConsumer(bootstrap_servers=self.env["KEFU_KAFKA_BOOTSTRAP"], enable_auto_commit=False,
                                    group_id=None)
        await consumer.start()
        try:
            topic = self.topics(logical)
            count = dict(self.topics.all_physical())[topic]  # as the bench created it
            parts = [TopicPartition(topic, p) for p in range(count)]
            consumer.assign(parts)
            await consumer.seek_to_beginning(*parts)
            ends = await consumer.end_offsets(parts)
            seen: dict[str, float] = {}
            while [tp for tp in parts if await consumer.position(tp) < ends[tp]]:
                for records in (await consumer.getmany(*parts, timeout_ms=1000)).values():
                    for r in records:
                        cid = json.loads(r.value).get("correlation_id")
                        if cid in ids and cid not in seen:
                            seen[cid] = r.timestamp / 1000
            return seen
        finally:
            await consumer.stop()

    async def _notified_at(self, ids: set[str], started: float) -> dict[str, float]:
        """The notification time of each of this run's calls (preloaded notices are older than ``started``)."""
        client = make_client(_url(self.env, "notifications"), "kefu-bench")
        try:
            notes = client[f"{self.ns}_kefu_notifications"].notifications
            docs = await notes.find({"created_at": {"$gte": _utc(started - 1)}},
                                    {"correlation_id": 1, "created_at": 1}).to_list()
        finally:
            await client.close()
        return {d["correlation_id"]: d["created_at"].timestamp() for d in docs if d["correlation_id"] in ids}

    async def stop(self) -> None:
        for p in self.procs.values():
            p.send_signal(signal.SIGTERM)
        for p in self.procs.values():
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()

    async def drop(self) -> None:
        """The run's own databases and topics, nothing else."""
        for service in SERVICES:
            client = make_client(_url(self.env, service), "kefu-bench")
            try:
                await client.drop_database(f"{self.ns}_kefu_{service}")
            finally:
                await client.close()
        admin = AIOKafkaAdminClient(bootstrap_servers=self.env["KEFU_KAFKA_BOOTSTRAP"])
        await admin.start()
        try:
            await admin.delete_topics([name for name, _ in self.topics.all_physical()])
        finally:
            await admin.close()


def _url(env: dict[str, str], service: str) -> str:
    return service_mongo_url(service, env)


def _utc(epoch: float) -> Any:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(epoch, timezone.utc)
