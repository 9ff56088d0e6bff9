"""``kefu token`` and ``kefu dev-tokens``: API tokens for routing, stored only as SHA-256 hashes.

    kefu token --role cs_manager --name wang          one token: prints it and its settings entry
    kefu dev-tokens .stack/dev-tokens                 a manager token and one per department, for
                                                      `make up` and `make demo` (kept if present)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import secrets
import sys
from pathlib import Path

DEPARTMENTS = ("engineering", "property", "sales", "title_certificates", "finance", "customer_service")
ROLES = ("department_staff", "complaint_specialist", "cs_manager", "cs_general_manager")


def entry(token: str, role: str, name: str, department: str | None = None) -> dict[str, str | None]:
    return {"token_sha256": hashlib.sha256(token.encode()).hexdigest(), "role": role, "department": department,
            "name": name}


def new_token() -> str:
    return "kefu_" + secrets.token_urlsafe(24)


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
    print("add to KEFU_ROUTING_TOKENS:", json.dumps(entry(token, args.role, args.name, args.department)))
    return 0


def dev_tokens_main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="kefu dev-tokens")
    p.add_argument("prefix", type=Path, help="writes PREFIX.json (hashes, for the service) and PREFIX.txt (tokens)")
    args = p.parse_args(argv)
    hashes, plain = args.prefix.with_suffix(".json"), args.prefix.with_suffix(".txt")
    if hashes.exists() and plain.exists():
        return 0
    people = [("manager", "cs_manager", None), ("general-manager", "cs_general_manager", None),
              ("specialist", "complaint_specialist", None)] + [(d, "department_staff", d) for d in DEPARTMENTS]
    tokens = {name: new_token() for name, _, _ in people}
    hashes.parent.mkdir(parents=True, exist_ok=True)
    hashes.write_text(json.dumps([entry(tokens[n], role, n, dept) for n, role, dept in people]), encoding="utf-8")
    plain.write_text("".join(f"{n}={tokens[n]}\n" for n, _, _ in people), encoding="utf-8")
    plain.chmod(0o600)
    print(f"dev tokens: {plain} (one per role and department)", file=sys.stderr)
    return 0
