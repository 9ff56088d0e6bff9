"""``kefu``: one entry point for the command line tools (``kefu publish-calls ...``)."""

from __future__ import annotations

import sys

from . import bench, demo, publish_calls, tokens

COMMANDS = {
    "publish-calls": publish_calls.main,
    "demo-summary": demo.main,
    "bench": bench.main,
    "token": tokens.token_main,
    "dev-tokens": tokens.dev_tokens_main,
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        print("usage: kefu {" + ",".join(COMMANDS) + "} ...", file=sys.stderr)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main())
