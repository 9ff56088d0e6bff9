"""The bench's arithmetic and its output: percentiles, throughput of the first and last tenth, the JSON line.

Pure functions, so what ``make bench`` claims is unit-tested apart from the servers.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from statistics import quantiles
from typing import Any


def percentiles(latencies_ms: Sequence[float]) -> tuple[float, float, float]:
    """p50, p95 and p99 (inclusive method: a small run's p99 is a latency that happened, not an extrapolation)."""
    if len(latencies_ms) < 2:
        raise ValueError("percentiles need at least two latencies")
    q = quantiles(latencies_ms, n=100, method="inclusive")
    return round(q[49], 1), round(q[94], 1), round(q[98], 1)


def tenth_rates(done_at: Sequence[float]) -> tuple[float, float]:
    """Throughput (per second) of the first and the last tenth of the completions, by completion time.

    The completions are sorted and cut into ten runs of (nearly) equal count; a
    run's rate is its completions over the time from the previous run's last
    completion to its own last one. The first run starts at the first completion
    (which it then does not count): the wait before anything completed is
    latency, not throughput.
    """
    times = sorted(done_at)
    n = len(times)
    if n < 20:
        raise ValueError("tenths need at least 20 completions")
    ends = [math.ceil((i + 1) * n / 10) - 1 for i in range(10)]

    def rate(start_index: int, end_index: int) -> float:
        span = max(times[end_index] - times[start_index], 1e-3)  # store times have millisecond resolution
        return (end_index - start_index) / span

    return rate(0, ends[0]), rate(ends[8], ends[9])


def flatness(first: float, last: float) -> float | None:
    """last / first: 1.0 is a flat run, below 1 a run that slowed down as data piled up."""
    return round(last / first, 3) if first > 0 else None


def summary(*, calls: int, baseline: dict[str, Any] | None, system: dict[str, Any], offered_rate: float | None,
            preload: int, store: str, stores: str, rss_mb: dict[str, dict[str, float]],
            preload_seconds: float | None = None, store_commands_per_call: dict[str, float] | None = None,
            cpu_ms_per_call: dict[str, float] | None = None,
            store_documents_per_call: dict[str, float] | None = None,
            hop_ms: dict[str, dict[str, float]] | None = None) -> str:
    """The last line of ``make bench``: one JSON object (keys of the first version kept, new ones added)."""
    base_rate = baseline["calls_per_s"] if baseline else None
    out: dict[str, Any] = {
        "calls": calls,
        "baseline_calls_per_s": round(base_rate, 1) if base_rate else None,
        "system_calls_per_s": round(system["calls_per_s"], 1),
        "ratio": round(system["calls_per_s"] / base_rate, 4) if base_rate else None,
        "p50_ms": system["p50"], "p95_ms": system["p95"], "p99_ms": system["p99"],
        "flatness": system["flatness"],
        "first_tenth_calls_per_s": round(system["first_tenth"], 1),
        "last_tenth_calls_per_s": round(system["last_tenth"], 1),
        "baseline_flatness": baseline["flatness"] if baseline else None,
        "baseline_messages": baseline.get("messages") if baseline else None,
        "offered_rate": round(offered_rate, 2) if offered_rate is not None else None,
        "preload": preload,
        "preload_seconds": round(preload_seconds, 1) if preload else None,
        "store": store,
        "stores": stores,
        "rss_mb": rss_mb,
        "store_commands_per_call": store_commands_per_call,
        "cpu_ms_per_call": cpu_ms_per_call,
        "store_documents_per_call": store_documents_per_call,
        "hop_ms": hop_ms,
    }
    return json.dumps(out, ensure_ascii=False)


def table(rows: Sequence[tuple[str, dict[str, Any]]]) -> str:
    """A small table of throughput, tenths, flatness and latency, one row per measured thing."""
    head = f"{'':<30}{'calls/s':>9}{'seconds':>9}{'1st 10th':>10}{'last 10th':>10}{'flat':>7}" \
           f"{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}"
    lines = [head]
    for label, r in rows:
        flat = f"{r['flatness']:.3f}" if r.get("flatness") is not None else "-"
        lines.append(f"{label:<30}{r['calls_per_s']:>9.1f}{r['seconds']:>9.1f}{r['first_tenth']:>10.1f}"
                     f"{r['last_tenth']:>10.1f}{flat:>7}{r['p50']:>10.1f}{r['p95']:>10.1f}{r['p99']:>10.1f}")
    return "\n".join(lines)


def measured(sent_at: dict[str, float], done_at: dict[str, float], started: float) -> dict[str, Any]:
    """Throughput, tenths, flatness and latency of one run from publish and completion times by id."""
    missing = set(sent_at) - set(done_at)
    if missing:
        raise ValueError(f"{len(missing)} of {len(sent_at)} calls never completed")
    times = [done_at[k] for k in sent_at]
    elapsed = max(times) - started
    first, last = tenth_rates(times)
    p50, p95, p99 = percentiles([(done_at[k] - sent_at[k]) * 1000 for k in sent_at])
    return {"calls_per_s": len(sent_at) / elapsed, "seconds": elapsed, "first_tenth": first, "last_tenth": last,
            "flatness": flatness(first, last), "p50": p50, "p95": p95, "p99": p99}


def hop_latencies(stamps: Sequence[tuple[str, dict[str, float]]]) -> dict[str, dict[str, float]]:
    """p50/p95/p99 of each hop of the pipeline: where a call's latency is spent.

    ``stamps`` are the pipeline's points in order, each a name and the time each call
    passed it (by id): the publish, then each topic's record timestamp, then the
    notification record. Hop *i* is named after the point it ends at and measured
    over the calls seen at both its ends; a point's clock is the producer's create
    time, so a hop includes the consumer's poll, the handler and the publish.
    """
    out: dict[str, dict[str, float]] = {}
    for (_, start), (name, end) in zip(stamps, stamps[1:]):
        common = [k for k in start if k in end]
        if len(common) < 2:
            continue
        p50, p95, p99 = percentiles([max(end[k] - start[k], 0.0) * 1000 for k in common])
        out[name] = {"p50": p50, "p95": p95, "p99": p99}
    return out
