"""``kefu dlq``: see what failed and why, send it back after a fix, clear what is dealt with.

    kefu dlq list [TOPIC]                                   waiting dead letters per topic
    kefu dlq show TOPIC [--offset N | --from A --to B | --last K | --all]
    kefu dlq replay TOPIC (--offset N | --from A --to B | --all) [--dry-run]
    kefu dlq purge TOPIC (--before OFFSET | --all) [--yes]
    kefu dlq history [TOPIC]                                recorded replays and purges

TOPIC is a contract topic (``call.received``; ``call.received.dlq`` is accepted too).
A replay republishes the original key and value bytes to the original topic, so
the event keeps its ``event_id`` and consumers' idempotency holds; every replay
and purge is recorded on the operations topic ``<ns>.ops.dlq_actions``.

exit codes: 0 done, 1 aborted at the confirmation prompt, 2 bad usage or unknown
topic, 3 refused (offsets empty or not in the partition, nothing to act on,
original topic missing), 4 Kafka unreachable or failing.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

from aiokafka.errors import KafkaError
from kefu_contracts import Topics

from .dlq_args import DEFAULT_SHOW_LAST, EXIT_KAFKA, EXIT_REFUSED, EXIT_USAGE, UsageError
from .dlq_commands import COMMANDS, err
from .dlq_kafka import KafkaUnreachable
from .dlq_ranges import RangeRefused


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--bootstrap", default=None,
                        help="Kafka bootstrap (default: $KEFU_KAFKA_BOOTSTRAP or 127.0.0.1:9092)")
    common.add_argument("--namespace", default=None, help="topic namespace (default: $KEFU_NAMESPACE or none)")
    common.add_argument("--json", action="store_true", help="print data as JSON")
    p = argparse.ArgumentParser(
        prog="kefu dlq", description="see what failed and why, replay it after a fix, purge it (recorded)",
        epilog=__doc__.split("\n\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True)
    exit_codes = __doc__.rsplit("\n\n", 1)[1]

    def command(name: str, summary: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[common], help=summary, description=summary, epilog=exit_codes)

    command("list", "waiting dead letters per topic").add_argument("topic", nargs="?")

    show = command("show", "each message with its error, key and body (masked)")
    show.add_argument("topic")
    _selection_options(show, last=True)

    replay = command("replay", "republish to the original topic")
    replay.add_argument("topic")
    _selection_options(replay, last=False)
    replay.add_argument("--dry-run", action="store_true", help="say what would be sent, send nothing")
    replay.add_argument("--actor", default=None, help="who does this, for the record (default: $USER)")

    purge = command("purge", "delete dead letters (asks for the topic name)")
    purge.add_argument("topic")
    what = purge.add_mutually_exclusive_group(required=True)
    what.add_argument("--before", type=int, metavar="OFFSET", help="delete offsets below OFFSET")
    what.add_argument("--all", action="store_true", help="delete every waiting message")
    purge.add_argument("--partition", type=int, default=0, help="partition for --before (default 0)")
    purge.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    purge.add_argument("--actor", default=None, help="who does this, for the record (default: $USER)")

    command("history", "recorded replays and purges").add_argument("topic", nargs="?")
    return p


def _selection_options(p: argparse.ArgumentParser, *, last: bool) -> None:
    p.add_argument("--partition", type=int, default=0, help="DLQ partition for --offset/--from/--to (default 0)")
    p.add_argument("--offset", type=int, help="one message")
    p.add_argument("--from", dest="start", type=int, metavar="A", help="first offset of a range (inclusive)")
    p.add_argument("--to", dest="end", type=int, metavar="B", help="last offset of a range (inclusive)")
    if last:
        p.add_argument("--last", type=int, metavar="K", help=f"the last K messages (default {DEFAULT_SHOW_LAST})")
    p.add_argument("--all", action="store_true", help="every waiting message")


def main(argv: list[str] | None = None) -> int:
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:  # --help, or argparse's own usage error (already printed)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    bootstrap = args.bootstrap or os.environ.get("KEFU_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    namespace = args.namespace if args.namespace is not None else os.environ.get("KEFU_NAMESPACE", "")
    if not logging.getLogger().handlers:  # a bare CLI process: our own message says what failed
        logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    try:
        try:
            topics = Topics(namespace)
        except ValueError as exc:
            raise UsageError(f"bad --namespace {namespace!r}: {exc}") from exc
        return asyncio.run(COMMANDS[args.command](args, bootstrap, topics))
    except RangeRefused as exc:
        err(f"refused: {exc}")
        return EXIT_REFUSED
    except UsageError as exc:
        err(str(exc))
        return EXIT_USAGE
    except KafkaUnreachable as exc:
        err(str(exc))
        return EXIT_KAFKA
    except KafkaError as exc:
        err(f"Kafka at {bootstrap} failed: {exc!r}")
        return EXIT_KAFKA


if __name__ == "__main__":
    sys.exit(main())
