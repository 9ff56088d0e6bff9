"""``kefu lag``: consumer lag per group, topic and partition, with Burrow-style statuses.

    kefu lag                                   every kefu group: 3 samples 2 s apart, then a table
    kefu lag --namespace staging --group routing --json
    kefu lag --watch --interval 30             a table every 30 s over a sliding window (Ctrl-C stops)

Exit code (so scripts and probes can use it): 0 when every group is OK, 1 when any group is
WARN, STALL, STOP or REWIND, 2 for bad arguments, 3 when Kafka cannot be read. With ``--watch``
the code is the last sample's. The rules and thresholds are explained in docs/lag.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Sequence

from kefu_kit.lag import LagMonitor, LagReport, Thresholds, kefu_groups_prefix

EXIT_OK, EXIT_NOT_OK, EXIT_ERROR = 0, 1, 3


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="kefu lag", description="Consumer lag and Burrow-style status of kefu's groups.")
    p.add_argument("--bootstrap", default=os.environ.get("KEFU_KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
                   help="Kafka bootstrap servers (default: $KEFU_KAFKA_BOOTSTRAP or 127.0.0.1:9092)")
    p.add_argument("--namespace", default=os.environ.get("KEFU_NAMESPACE", ""),
                   help="kefu namespace: groups are <ns>.kefu-<service> (default: $KEFU_NAMESPACE)")
    p.add_argument("--group", action="append", default=[],
                   help="only this group (repeatable): a full group id or a service name such as 'routing'")
    p.add_argument("--samples", type=int, default=3, help="observations before the report (default 3)")
    p.add_argument("--interval", type=float, default=2.0, help="seconds between observations (default 2)")
    p.add_argument("--window", type=int, help="observations evaluated per partition (default: --samples, "
                   f"or {Thresholds.window} with --watch)")
    p.add_argument("--allowed-lag", type=int, default=Thresholds.allowed_lag,
                   help=f"lag (messages) that still counts as caught up (default {Thresholds.allowed_lag})")
    p.add_argument("--stop-after", type=float, default=Thresholds.stop_after_s,
                   help=f"seconds without a commit, while lagging, before STOP (default {Thresholds.stop_after_s:g})")
    p.add_argument("--json", action="store_true", help="print the report as JSON (one object per line with --watch)")
    p.add_argument("--watch", action="store_true", help="keep sampling every --interval and print each report")
    args = p.parse_args(list(argv))
    if args.samples < 1 or args.interval < 0 or (args.window is not None and args.window < 1):
        p.error("--samples and --window must be at least 1, --interval not negative")
    return args


def build_monitor(args: argparse.Namespace) -> LagMonitor:
    window = args.window or (Thresholds.window if args.watch else args.samples)
    thresholds = Thresholds(
        window=window, allowed_lag=args.allowed_lag, stop_after_s=args.stop_after,
        commit_lookback_s=max(Thresholds.commit_lookback_s, args.stop_after),
    )
    prefix = kefu_groups_prefix(args.namespace)
    if not args.group:
        return LagMonitor(args.bootstrap, prefix, thresholds)
    names = {n for g in args.group for n in (g, prefix + g, f"{args.namespace}.{g}" if args.namespace else g)}
    return LagMonitor(args.bootstrap, "", thresholds, groups=names)


def render(report: LagReport) -> str:
    """A table per group: its status line, then one line per partition."""
    if not report.groups:
        return "no consumer group found (check --namespace, --group and --bootstrap)"
    header = ("TOPIC", "PART", "COMMITTED", "END", "LAG", "LAG_S", "COMMIT_AGO_S", "STATUS")
    lines: list[str] = []
    for g in report.groups:
        lines.append(f"{g.group}  {g.status.value}  total lag {g.total_lag}  max lag {g.max_lag_seconds:.1f}s")
        rows = [header] + [
            (
                p.topic, str(p.partition), "-" if p.committed is None else str(p.committed), str(p.end), str(p.lag),
                f"{p.lag_seconds:.1f}", _commit_age(report.at, p.last_commit_at), p.status.value,
            )
            for p in g.partitions
        ]
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        lines += ["  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
        lines.append("")
    return "\n".join(lines).rstrip()


def _commit_age(now: float, last_commit_at: float | None) -> str:
    return "-" if last_commit_at is None else f"{max(now - last_commit_at, 0):.0f}"


def show(report: LagReport, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"ok": report.ok, **report.to_dict()}, ensure_ascii=False), flush=True)
    else:
        print(render(report), flush=True)


async def run(args: argparse.Namespace, shown: list[LagReport]) -> None:
    """Sample, print; with ``--watch`` keep going. Every printed report is appended to ``shown``."""
    async with build_monitor(args) as monitor:
        report = await monitor.sample()
        for _ in range(args.samples - 1):
            await asyncio.sleep(args.interval)
            report = await monitor.sample()
        show(report, args.json)
        shown.append(report)
        while args.watch:
            await asyncio.sleep(args.interval)
            report = await monitor.sample()
            if not args.json:
                print(f"\n--- {time.strftime('%H:%M:%S')}")
            show(report, args.json)
            shown.append(report)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    shown: list[LagReport] = []
    try:
        asyncio.run(run(args, shown))
    except KeyboardInterrupt:
        if not shown:
            return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - an operator's tool: one readable line, not a traceback
        print(f"kefu lag: cannot read consumer lag from {args.bootstrap}: {exc!r}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK if shown[-1].ok else EXIT_NOT_OK
