"""``make bench``: the walking skeleton's end-to-end speed against a bare Kafka relay, side by side.

(a) baseline: three aiokafka relay stages in one process, the same hops as the
    skeleton (call.received -> intake -> case.opened -> routing -> case.assigned ->
    notifications), each committing after it has forwarded (the same delivery
    guarantee as the services), no database;
(b) system: the intake, routing and notifications services as separate
    processes on the real store.

Both get the same N calls, published as fast as Kafka takes them; latency is
from each call's publish time to the moment it reached the last stage
(the notification record). Prints a table and, as its last line, one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from statistics import quantiles
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from kefu_contracts import CALL_RECEIVED, Topics
from kefu_kit import ensure_topics
from pymongo import AsyncMongoClient

from .calls_source import calls, file_lines, sample_lines

HOPS = 3


def unique_callers(lines: list[str], count: int) -> list[str]:
    """The sample's texts, each call from a caller of its own: every call opens a case (no follow-ups),
    so the skeleton's full path is measured for every call."""
    base = [json.loads(line) for line in lines if line.strip()]
    out = []
    for i in range(count):
        payload = dict(base[i % len(base)])
        payload["caller"] = {"name": payload["caller"].get("name"), "phone": f"139{i:08d}"}
        out.append(json.dumps(payload, ensure_ascii=False))
    return out


def _percentiles(latencies_ms: list[float]) -> tuple[float, float, float]:
    q = quantiles(latencies_ms, n=100, method="inclusive")
    return round(q[49], 1), round(q[94], 1), round(q[98], 1)


async def _publish(producer: AIOKafkaProducer, topic: str, items: list[tuple[str, bytes, bytes]]) -> dict[str, float]:
    """Send every (id, key, value); return id -> publish time (epoch seconds)."""
    sent: dict[str, float] = {}
    futures = []
    for ident, key, value in items:
        sent[ident] = time.time()
        futures.append(await producer.send(topic, value, key=key))
    await asyncio.gather(*futures)
    return sent


async def baseline(bootstrap: str, payloads: list[Any]) -> dict[str, float]:
    ns = "benchrelay" + uuid.uuid4().hex[:6]
    names = [f"{ns}.hop{i}" for i in range(HOPS + 1)]
    await ensure_topics(bootstrap, [(n, 6) for n in names])
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=2)
    await producer.start()
    arrived: dict[str, float] = {}
    done = asyncio.Event()
    consumers: list[AIOKafkaConsumer] = []

    async def stage(i: int) -> None:
        consumer = AIOKafkaConsumer(names[i], bootstrap_servers=bootstrap, group_id=f"{ns}-stage{i}",
                                    enable_auto_commit=False, auto_offset_reset="earliest")
        consumers.append(consumer)
        await consumer.start()
        while True:
            record = await consumer.getone()
            if i < HOPS:
                await producer.send_and_wait(names[i + 1], record.value, key=record.key)
            else:
                arrived[json.loads(record.value)["event_id"]] = time.time()
                if len(arrived) == len(payloads):
                    done.set()
            await consumer.commit()

    tasks = [asyncio.create_task(stage(i)) for i in range(1, HOPS + 1)]
    await asyncio.sleep(3)  # group joins
    started = time.time()
    sent = await _publish(producer, names[1], [(c.event_id, c.kafka_key().encode(), c.to_json_bytes()) for c in payloads])
    await done.wait()
    elapsed = max(arrived.values()) - started
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for consumer in consumers:
        await consumer.stop()
    await producer.stop()
    lat = [(arrived[k] - sent[k]) * 1000 for k in sent]
    return {"calls_per_s": len(payloads) / elapsed, "seconds": elapsed, **dict(zip(("p50", "p95", "p99"), _percentiles(lat)))}


def _start_services(env: dict[str, str], log_dir: Path) -> list[subprocess.Popen[bytes]]:
    procs = []
    for i, name in enumerate(("intake", "routing", "notifications")):
        log = open(log_dir / f"bench-{name}.log", "ab")
        procs.append(subprocess.Popen([sys.executable, "-m", f"kefu_{name}"],
                                      env={**env, "KEFU_HTTP_PORT": str(18101 + i)}, stdout=log, stderr=log))
    return procs


async def _wait_healthy(ports: list[int], timeout: float = 120) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    for port in ports:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"service on port {port} not healthy")
            await asyncio.sleep(0.3)


async def system(bootstrap: str, mongo_url: str, payloads: list[Any], log_dir: Path) -> dict[str, float]:
    ns = "bench" + uuid.uuid4().hex[:8]
    topics = Topics(ns)
    await ensure_topics(bootstrap, topics.all_physical())
    env = {**os.environ, "KEFU_KAFKA_BOOTSTRAP": bootstrap, "KEFU_MONGO_URL": mongo_url, "KEFU_NAMESPACE": ns,
           "KEFU_LOG_LEVEL": "WARNING"}
    procs = _start_services(env, log_dir)
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url, tz_aware=True)
    notes = mongo[f"{ns}_kefu_notifications"].notifications
    try:
        await _wait_healthy([18101, 18102, 18103])
        await asyncio.sleep(2)
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=2)
        await producer.start()
        started = time.time()
        sent = await _publish(producer, topics(CALL_RECEIVED),
                              [(c.event_id, c.kafka_key().encode(), c.to_json_bytes()) for c in payloads])
        await producer.stop()
        last_report = 0.0
        while (count := await notes.count_documents({})) < len(payloads):
            if time.time() - last_report > 10:
                print(f"bench: system {count}/{len(payloads)} notified after {time.time() - started:.0f}s",
                      file=sys.stderr)
                last_report = time.time()
            if any(p.poll() is not None for p in procs):
                raise RuntimeError(f"a service exited; see {log_dir}/bench-*.log")
            await asyncio.sleep(1)
        docs = await notes.find({}, {"correlation_id": 1, "created_at": 1}).to_list()
        arrived = {d["correlation_id"]: d["created_at"].timestamp() for d in docs}
        elapsed = max(arrived.values()) - started
        lat = [(arrived[k] - sent[k]) * 1000 for k in sent]
        return {"calls_per_s": len(payloads) / elapsed, "seconds": elapsed,
                **dict(zip(("p50", "p95", "p99"), _percentiles(lat)))}
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        for service in ("intake", "routing", "notifications"):
            await mongo.drop_database(f"{ns}_kefu_{service}")
        await mongo.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="kefu bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--calls", type=int, default=20000)
    p.add_argument("--bootstrap", default=os.environ.get("KEFU_KAFKA_BOOTSTRAP", "127.0.0.1:9092"))
    p.add_argument("--mongo", default=os.environ.get("KEFU_MONGO_URL", "mongodb://127.0.0.1:27017"))
    p.add_argument("--file", type=Path, help="JSON-lines call payloads to cycle through (default: the bundled sample)")
    p.add_argument("--log-dir", type=Path, default=Path(os.environ.get("KEFU_STACK_DIR", ".stack")) / "logs")
    args = p.parse_args(argv)
    if args.calls < 100:
        p.error("--calls must be at least 100 for meaningful percentiles")
    args.log_dir.mkdir(parents=True, exist_ok=True)
    lines = unique_callers(file_lines(args.file) if args.file else sample_lines(), args.calls)
    payloads = list(calls(lines, args.calls))
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    print(f"bench: {args.calls} calls, {stamp}; (a) bare aiokafka relay, {HOPS} hops", file=sys.stderr)
    base = asyncio.run(baseline(args.bootstrap, payloads))
    print("bench: (b) walking skeleton (intake, routing, notifications processes + store)", file=sys.stderr)
    payloads = list(calls(lines, args.calls))  # fresh ids
    sys_ = asyncio.run(system(args.bootstrap, args.mongo, payloads, args.log_dir))
    ratio = sys_["calls_per_s"] / base["calls_per_s"]
    print(f"\n{'':<28}{'calls/s':>10}{'seconds':>10}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}")
    for label, r in (("(a) bare aiokafka relay", base), ("(b) kefu walking skeleton", sys_)):
        print(f"{label:<28}{r['calls_per_s']:>10.1f}{r['seconds']:>10.1f}{r['p50']:>10.1f}{r['p95']:>10.1f}{r['p99']:>10.1f}")
    print(f"ratio b/a (throughput): {ratio:.3f}\n")
    print(json.dumps({
        "calls": args.calls,
        "baseline_calls_per_s": round(base["calls_per_s"], 1),
        "system_calls_per_s": round(sys_["calls_per_s"], 1),
        "ratio": round(ratio, 4),
        "p50_ms": sys_["p50"], "p95_ms": sys_["p95"], "p99_ms": sys_["p99"],
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
