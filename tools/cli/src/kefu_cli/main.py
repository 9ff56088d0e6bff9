"""``kefu``: one entry point for the command line tools (``kefu publish-calls ...``).

Commands are imported only when called: the operations tools pull in heavier
libraries (the dashboard's report, charts) that ``kefu token`` has no need of.
"""

from __future__ import annotations

import importlib
import sys

# name -> "module:function" inside kefu_cli; each function takes argv (list[str]) and returns an exit code.
COMMANDS = {
    "publish-calls": "publish_calls:main",
    "demo-summary": "demo:main",
    "bench": "bench:main",
    "token": "tokens:token_main",
    "dev-tokens": "tokens:dev_tokens_main",
    "lag": "lag:main",
    "dlq": "dlq:main",
    "rebuild": "rebuild:main",
    "report": "report:main",
    "kb-report": "kb:report_main",
    "kb-bench": "kb:bench_main",
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        print("usage: kefu {" + ",".join(COMMANDS) + "} ...", file=sys.stderr)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    module, function = COMMANDS[argv[0]].split(":")
    return getattr(importlib.import_module(f"kefu_cli.{module}"), function)(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
