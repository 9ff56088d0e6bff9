"""``make bench``: kefu's end-to-end speed against a bare Kafka relay, side by side, told honestly.

(a) baseline: a batched bare aiokafka relay with the system's three hops and its
    delivery guarantee, no database (``bench_baseline``);
(b) system: the intake, routing and notifications services as separate
    processes on the real store (``bench_system``).

Burst mode (default): the system gets ``--calls`` calls, published as fast as
Kafka takes them; the relay the same, but at least 20,000 (fewer last under a
second, too short to measure). Rate mode (``--rate R``): the system alone is offered a steady
R calls/s for ``--duration`` seconds (``bench_pacing``). ``--preload N`` starts
the system from N calls' worth of stored cases, seeded through the services'
own code (``bench_preload``). ``--stores per-service`` (the default, as the local
stack runs them) gives each service a SecantusDB server of its own (``bench_stores``);
``shared`` puts all three on the stack's one server (``KEFU_MONGO_URL``).

Latency is from a call's publish to its notification record. Throughput is
also given for the first and the last tenth of the run (by completion time)
and their ratio, ``flatness``. Prints a table and, as its last line, one JSON
object (``bench_report.summary``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kefu_kit.settings import is_service_mongo_url_var

from .bench_baseline import HOPS, baseline
from .bench_pacing import achieved_rate, max_behind, schedule
from .bench_report import summary, table
from .bench_stores import StoreServers, describe, shared_store_pid
from .bench_system import SERVICES, System
from .calls_source import calls, file_lines, sample_lines
from .stores import stack_dir

# ~35 calls/s today on a quiet box (services not batched, SecantusDB): 12,000 calls take ~6 min;
# while other engineers' tests share the 2 cores it measured 14-20 calls/s, still ~10 min.
DEFAULT_CALLS = 12000
# The relay does a few thousand messages in under a second: too short to measure (producer
# warm-up and batch edges dominate its tenths). It relays at least this many.
BASELINE_MIN = 20000


PASSES_PER_BUILDING = 10  # sample passes before the calls move on to a new set of buildings


def unique_callers(lines: list[str], count: int) -> list[str]:
    """The sample's texts, each call from a caller of its own: every call opens a case (no follow-ups),
    so the skeleton's full path is measured for every call.

    Every ``PASSES_PER_BUILDING`` passes over the sample (2,400 calls for its 240), the calls come
    from new buildings (``14幢`` becomes ``14幢-1``, ``14幢-2``, ...). A burst packs months of calls
    into minutes; without this, all of them would fall into the same 72-hour and 14-day windows of
    the sample's 65 buildings, and the group and batch-defect checks would read a building's whole
    burst for every call: a crowding no real year has (100,000 calls over some hundreds of
    buildings leave a few dozen per building and window), which would hide what the bench is for,
    whether a call's cost stays flat as the archive grows.
    """
    base = [json.loads(line) for line in lines if line.strip()]
    out = []
    for i in range(count):
        payload = dict(base[i % len(base)])
        payload["caller"] = {"name": payload["caller"].get("name"), "phone": f"139{i:08d}"}
        block = i // (len(base) * PASSES_PER_BUILDING)
        building = (payload.get("property") or {}).get("building")
        if block and building:
            payload["property"] = {**payload["property"], "building": f"{building}-{block}"}
        out.append(json.dumps(payload, ensure_ascii=False))
    return out


def _items(payloads: list[Any]) -> list[tuple[str, bytes, bytes]]:
    return [(c.event_id, c.kafka_key().encode(), c.to_json_bytes()) for c in payloads]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kefu bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--calls", type=int, default=DEFAULT_CALLS,
                   help=f"calls in burst mode (default {DEFAULT_CALLS}: ~6 min at ~35 calls/s)")
    p.add_argument("--rate", type=float, default=0.0, help="offer a steady RATE calls/s instead of a burst")
    p.add_argument("--duration", type=float, default=60.0, help="seconds of offered load in rate mode (60)")
    p.add_argument("--preload", type=int, default=0, help="calls' worth of cases stored before the run (0)")
    p.add_argument("--stores", choices=("shared", "per-service", "private"), default="per-service",
                   help="a SecantusDB of the bench's own per service (per-service, the default: what the local "
                        "stack runs), the stack's one shared server (shared), or one of the bench's own for all "
                        "three (private)")
    p.add_argument("--no-baseline", action="store_true", help="measure the system only")
    p.add_argument("--bootstrap", default=os.environ.get("KEFU_KAFKA_BOOTSTRAP", "127.0.0.1:9092"))
    p.add_argument("--mongo", default=os.environ.get("KEFU_MONGO_URL", "mongodb://127.0.0.1:27017"))
    p.add_argument("--file", type=Path, help="JSON-lines call payloads to cycle through (default: the bundled sample)")
    p.add_argument("--log-dir", type=Path, default=stack_dir() / "logs")
    return p


def _stop_on_sigterm() -> None:
    """SIGTERM ends the bench like Ctrl-C: its services, store servers, databases and topics are cleaned up."""
    def handler(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def main(argv: list[str] | None = None) -> int:
    _stop_on_sigterm()
    p = parser()
    args = p.parse_args(argv)
    if args.rate < 0 or args.duration <= 0 or args.preload < 0:
        p.error("--rate, --duration and --preload must not be negative")
    offsets = schedule(args.rate, args.duration) if args.rate else None
    count = len(offsets) if offsets is not None else args.calls
    if count < 100:
        p.error("a run needs at least 100 calls for meaningful percentiles (--calls, or --rate x --duration)")
    args.log_dir.mkdir(parents=True, exist_ok=True)
    source = file_lines(args.file) if args.file else sample_lines()
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    mode = f"{args.rate:g} calls/s for {args.duration:g}s" if offsets else f"{count} calls, burst"
    print(f"bench: {mode}, preload {args.preload}, stores {args.stores}, {stamp}", file=sys.stderr)

    base = None
    if not offsets and not args.no_baseline:
        relayed = max(count, BASELINE_MIN)
        print(f"bench: (a) bare aiokafka relay, {HOPS} hops, batched, {relayed} messages", file=sys.stderr)
        base = asyncio.run(baseline(args.bootstrap, _items(list(calls(unique_callers(source, relayed), relayed)))))
        base["messages"] = relayed

    servers = StoreServers()
    try:
        if args.stores != "shared":
            servers.start(SERVICES, one_for_all=args.stores == "private")
            print(f"bench: {args.stores} store servers {servers.urls}", file=sys.stderr)
        store = describe(servers.urls["intake"] if servers.urls else args.mongo)
        sys_ = asyncio.run(_system(args, source, count, offsets, servers))
    finally:
        servers.stop()

    rows = ([(f"(a) bare relay ({base['messages']} msgs)", base)] if base else []) + [("(b) kefu (intake+routing+notif.)", sys_)]
    print("\n" + table(rows))
    if base:
        print(f"ratio b/a (throughput): {sys_['calls_per_s'] / base['calls_per_s']:.3f}")
    offered = None
    if offsets:
        offered = achieved_rate(sys_["sent_at"])
        print(f"offered: {offered:.2f} calls/s (asked {args.rate:g}), at most "
              f"{sys_['behind_s'] * 1000:.0f} ms behind schedule")
    print("rss MB (start -> end): " + ", ".join(
        f"{name} {r['start']} -> {r['end']}" for name, r in sys_["rss_mb"].items()))
    cpu = sys_["cpu_ms_per_call"]
    print("cpu ms per call: " + ", ".join(f"{name} {ms}" for name, ms in cpu.items()) +
          f" (total {sum(cpu.values()):.2f}: the ceiling on N cores is N*1000/total calls/s, Kafka aside)")
    print("store documents written per call: " + ", ".join(
        f"{key} {n}" for key, n in sys_["store_documents_per_call"].items()))
    print("store commands per call: " + ", ".join(
        f"{name} {n}" for name, n in sys_["store_commands_per_call"].items()))
    print("latency by hop, p50/p95/p99 ms (publish -> case.opened -> case.assigned -> notification record): " +
          ", ".join(f"{hop} {h['p50']:.0f}/{h['p95']:.0f}/{h['p99']:.0f}" for hop, h in sys_["hop_ms"].items()))
    print(f"store: {store} ({args.stores}); preload {args.preload}" +
          (f" seeded in {sys_['preload_s']:.0f}s" if args.preload else "") + "\n")
    print(summary(calls=count, baseline=base, system=sys_, offered_rate=offered, preload=args.preload,
                  store=store, stores=args.stores, rss_mb=sys_["rss_mb"], preload_seconds=sys_["preload_s"],
                  store_commands_per_call=sys_["store_commands_per_call"], cpu_ms_per_call=cpu,
                  store_documents_per_call=sys_["store_documents_per_call"], hop_ms=sys_["hop_ms"]))
    return 0


def services_env(inherited: Mapping[str, str], bootstrap: str, mongo: str, ns: str,
                 own_stores: Mapping[str, str]) -> dict[str, str]:
    """The bench services' environment. The shell's KEFU_<SERVICE>_MONGO_URL (the stack's per-service stores,
    from `stack.sh env`) are dropped: the services use the bench's own servers (``own_stores``), or with
    ``--stores shared`` all the one ``mongo``, never the stack's per-service stores left in the shell."""
    return {**{k: v for k, v in inherited.items() if not is_service_mongo_url_var(k)},
            "KEFU_KAFKA_BOOTSTRAP": bootstrap, "KEFU_MONGO_URL": mongo, "KEFU_NAMESPACE": ns,
            "KEFU_LOG_LEVEL": "WARNING", **own_stores}


async def _system(args: argparse.Namespace, source: list[str], count: int, offsets: list[float] | None,
                  servers: StoreServers) -> dict[str, Any]:
    from .bench_preload import preload_calls, seed

    ns = "bench" + uuid.uuid4().hex[:8]
    env = services_env(os.environ, args.bootstrap, args.mongo, ns, servers.env())
    store_pids = dict(servers.pids) if servers.pids else {}
    if not store_pids and (pid := shared_store_pid(args.mongo)) is not None:
        store_pids = {"store": pid}
    store_pids = {f"store_{k}" if k in SERVICES else "store": v for k, v in store_pids.items()}
    system = System(env, ns, args.log_dir, store_pids)
    print(f"bench: namespace {ns} (topics {ns}.*, databases {ns}_*: dropped afterwards)", file=sys.stderr)
    try:
        await system.create_topics()
        preload_s = 0.0
        if args.preload:
            stats = await seed(env, preload_calls(source, args.preload), args.preload)
            preload_s = stats.seconds
        print("bench: (b) kefu services (intake, routing, notifications processes + store)", file=sys.stderr)
        await system.start()
        payloads = list(calls(unique_callers(source, count), count))  # fresh ids, callers unlike the preload's
        result = await system.run(_items(payloads), offsets)
        if offsets:
            result["behind_s"] = max_behind(offsets, result["sent_at"], result["started"])
        result["preload_s"] = preload_s
        return result
    finally:
        await system.stop()
        await system.drop()


if __name__ == "__main__":
    sys.exit(main())
