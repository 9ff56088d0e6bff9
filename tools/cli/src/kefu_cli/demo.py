"""``kefu demo-summary``: wait until a published batch has travelled through, then show what each service did.

It asks each service over HTTP (``/stats``, routing's ``/cases``); it reads no database.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.request
from typing import Any

from kefu_kit.masking import mask_text

SERVICES = {"intake": 8101, "routing": 8102, "notifications": 8103, "surveys": 8104, "membership": 8105}


def _port(name: str) -> int:
    return int(os.environ.get(f"KEFU_{name.upper()}_HTTP_PORT", SERVICES[name]))


def _get(name: str, path: str) -> Any:
    with urllib.request.urlopen(f"http://127.0.0.1:{_port(name)}{path}", timeout=5) as response:
        return json.load(response)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="kefu demo-summary")
    p.add_argument("--expect", type=int, required=True, help="notifications to wait for (one per call)")
    p.add_argument("--timeout", type=float, default=300.0)
    args = p.parse_args(argv)

    started, notified = time.monotonic(), 0
    while time.monotonic() - started < args.timeout:
        notified = _get("notifications", "/stats")["counts"]["notifications"]
        print(f"\rdemo: {notified}/{args.expect} calls have reached a department's inbox", end="", file=sys.stderr)
        if notified >= args.expect:
            break
        time.sleep(1)
    print(file=sys.stderr)
    if notified < args.expect:
        print(f"demo: only {notified} of {args.expect} calls arrived in {args.timeout:.0f}s", file=sys.stderr)
        return 1

    print("\nWhat each service did")
    for name in SERVICES:
        counts = _get(name, "/stats")["counts"]
        print(f"  {name:<14}" + ", ".join(f"{k}: {v}" for k, v in counts.items()))
    print("\nCases by department")
    for dept in ("engineering", "property", "sales", "title_certificates", "finance", "customer_service"):
        cases = _get("routing", f"/cases?department={dept}&limit=500")
        print(f"  {dept:<20}{len(cases)}")
    print("\nA few cases")
    for case in _get("routing", "/cases?limit=4"):
        where = " ".join(x for x in (case.get("project"), case.get("building"), case.get("unit")) if x)
        print(f"  {case['_id']}  [{case['kind']}/{case.get('category') or '-'}] -> {case['department']}"
              f" ({case['assignment_rule']})\n      {where}: {mask_text(case['body'])[:60]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
