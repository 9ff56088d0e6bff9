"""``kefu demo-summary``: wait until a published batch has travelled through, then show what each service did.

It asks each service over HTTP (``/stats``, routing's ``/cases``) as the manager; it reads no database.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from kefu_kit.masking import mask_text

SERVICES = {"intake": 8101, "routing": 8102, "notifications": 8103, "surveys": 8104, "membership": 8105,
            "dashboard": 8106, "knowledge": 8107}


def _port(name: str) -> int:
    return int(os.environ.get(f"KEFU_{name.upper()}_HTTP_PORT", SERVICES[name]))


def _token() -> str:
    """The manager's dev token (``make up``/``make demo`` create them in .stack/dev-tokens.txt)."""
    if os.environ.get("KEFU_TOKEN"):
        return os.environ["KEFU_TOKEN"]
    path = Path(os.environ.get("KEFU_STACK_DIR", ".stack")) / "dev-tokens.txt"
    tokens = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return tokens["manager"]


def _get(name: str, path: str) -> Any:
    request = urllib.request.Request(f"http://127.0.0.1:{_port(name)}{path}")
    request.add_header("Authorization", f"Bearer {_token()}")  # every API (/stats too) needs a role
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


def _wait(what: str, probe: Any, done: Any, total: Any, deadline: float) -> bool:
    """Poll ``probe`` until ``done``; print progress on its own lines (works in logs too)."""
    last = None
    while True:
        value = probe()
        if value != last:
            print(f"demo: {value}/{total() if callable(total) else total} {what}", file=sys.stderr)
            last = value
        if done(value):
            return True
        if time.monotonic() > deadline:
            print(f"demo: gave up waiting: {value}/{total} {what}", file=sys.stderr)
            return False
        time.sleep(2)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="kefu demo-summary")
    p.add_argument("--expect", type=int, required=True, help="contacts published (intake records each)")
    p.add_argument("--timeout", type=float, default=300.0)
    args = p.parse_args(argv)

    started = time.monotonic()
    if not _wait("contacts recorded by intake", lambda: _get("intake", "/stats")["counts"]["contacts"],
                 lambda n: n >= args.expect, args.expect, started + args.timeout):
        return 1
    # Follow-ups join open cases, so there are fewer cases than contacts: one notification per case.
    def cases() -> int:
        return int(_get("routing", "/stats")["counts"]["cases"])

    if not _wait("cases notified to their department",
                 lambda: _get("notifications", "/stats")["counts"]["notifications"],
                 lambda n: n >= cases(), cases, started + args.timeout):
        return 1

    if not _wait("cases on the dashboard", lambda: _get("dashboard", "/stats")["counts"]["cases"],
                 lambda n: n >= cases(), cases, started + args.timeout):
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
              f" ({case['assignment_rule']}), level {case.get('level') or '-'}, assignee {case.get('assignee')}"
              f"\n      {where}: {mask_text(case['body'])[:60]}")
    print(f"\nThe dashboard page: http://127.0.0.1:{_port('dashboard')}/ (a token from .stack/dev-tokens.txt;"
          " `make demo KEEP=1` keeps it running)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
