"""ns per log line for kefu_kit.masking, on typical lines and on lines that need the phone-number matcher.

    .venv/bin/python scripts/bench_masking.py [path/to/other/masking.py]

With a path, that module (e.g. an older masking.py from ``git show``) is measured too, interleaved.
"""

from __future__ import annotations

import importlib.util
import sys
import time

TYPICAL = [
    {"event": "case_opened", "logger": "kefu.intake", "level": "info", "timestamp": "2026-12-01T20:12:05.123456Z",
     "event_id": "call-d9ef446f-da42-4616-acb2-7d0944424322",
     "correlation_id": "call-d9ef446f-da42-4616-acb2-7d0944424322", "topic": "ns.call.received",
     "case_id": "case-5f1c2a9e-0b1d-4c8e-9f3a-2b7c6d5e4f30"},
    {"event": "message consumed", "logger": "kefu.routing.faststream", "level": "info",
     "timestamp": "2026-12-01T20:12:05.223456Z", "topic": "ns.case.opened", "offset": "18234", "partition": "2"},
    {"event": "caller identified", "logger": "kefu.intake", "level": "info", "timestamp": "2026-12-01T20:12:05.323456Z",
     "body": "业主来电反映3幢2单元1202漏水，电话13812345678，请尽快处理",
     "event_id": "call-d9ef446f-da42-4616-acb2-7d0944424322"},
    {"event": "HTTP request", "logger": "uvicorn.access", "level": "info", "timestamp": "2026-12-01T20:12:05.423456Z",
     "path": "/cases?status=open&limit=50", "status": "200"},
]
INTERNATIONAL = [
    {"event": "caller identified", "logger": "kefu.intake", "level": "info", "timestamp": "2026-12-01T20:12:05.5Z",
     "body": "香港业主 +852 9123 4567 来电，要求回电", "event_id": "call-d9ef446f-da42-4616-acb2-7d0944424322"},
]


def per_line(mask_value, lines, rounds: int) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        for line in lines:
            mask_value(None, line)
    return (time.perf_counter() - start) / (rounds * len(lines)) * 1e9


def main(argv: list[str]) -> None:
    import kefu_kit.masking as current

    modules = {"now": current}
    if argv:
        spec = importlib.util.spec_from_file_location("masking_before", argv[0])
        before = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(before)
        modules = {"before": before, "now": current}
    for name, lines in (("typical", TYPICAL), ("international", INTERNATIONAL)):
        times: dict[str, list[float]] = {label: [] for label in modules}
        for _ in range(25):  # interleaved, so both see the same load on a shared machine
            for label, module in modules.items():
                times[label].append(per_line(module.mask_value, lines, 200))
        print(name + ": " + ", ".join(
            f"{label} min {min(t):,.0f} / median {sorted(t)[len(t) // 2]:,.0f} ns/line" for label, t in times.items()))


if __name__ == "__main__":
    main(sys.argv[1:])
