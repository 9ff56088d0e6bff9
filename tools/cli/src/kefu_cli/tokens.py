"""``kefu token`` and ``kefu dev-tokens``: API tokens for every service, stored only as SHA-256 hashes.

    kefu token --role cs_manager --name wang          one token: prints it and its settings entry
    kefu dev-tokens .stack/dev-tokens                 one token per role and per department, for
                                                      `make up` and `make demo` (kept if present)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kefu_kit.auth import ROLES, Role, new_token
from kefu_kit.auth import token_entry as entry

DEPARTMENTS = ("engineering", "property", "sales", "title_certificates", "finance", "customer_service")
# The people of a local run: one per role (department staff: one per department).
DEV_PEOPLE = [("agent", Role.HOTLINE_AGENT, None), ("specialist", Role.COMPLAINT_SPECIALIST, None),
              ("supervisor", Role.AFTERSALES_SUPERVISOR, None), ("relations", Role.CUSTOMER_RELATIONS, None),
              ("analyst", Role.DATA_ANALYST, None), ("manager", Role.CS_MANAGER, None),
              ("general-manager", Role.CS_GENERAL_MANAGER, None), ("ops", Role.OPS, None),
              ("adapter", Role.CHANNEL_ADAPTER, None)]


def token_main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="kefu token")
    p.add_argument("--role", required=True, choices=ROLES)
    p.add_argument("--department", choices=DEPARTMENTS)
    p.add_argument("--name", required=True)
    args = p.parse_args(argv)
    if args.role == "department_staff" and not args.department:
        p.error("department staff need --department")
    token = new_token()
    print(f"token (give it to {args.name}; it is not stored anywhere): {token}")
    print("add to KEFU_TOKENS:", json.dumps(entry(token, args.role, args.name, args.department)))
    return 0


def dev_tokens_main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="kefu dev-tokens")
    p.add_argument("prefix", type=Path, help="writes PREFIX.json (hashes, for the service) and PREFIX.txt (tokens)")
    args = p.parse_args(argv)
    hashes, plain = args.prefix.with_suffix(".json"), args.prefix.with_suffix(".txt")
    if hashes.exists() and plain.exists():
        return 0
    people = DEV_PEOPLE + [(d, Role.DEPARTMENT_STAFF, d) for d in DEPARTMENTS]
    tokens = {name: new_token() for name, _, _ in people}
    hashes.parent.mkdir(parents=True, exist_ok=True)
    hashes.write_text(json.dumps([entry(tokens[n], str(role), n, dept) for n, role, dept in people]),
                      encoding="utf-8")
    plain.write_text("".join(f"{n}={tokens[n]}\n" for n, _, _ in people), encoding="utf-8")
    plain.chmod(0o600)
    print(f"dev tokens: {plain} (one per role and department)", file=sys.stderr)
    return 0
