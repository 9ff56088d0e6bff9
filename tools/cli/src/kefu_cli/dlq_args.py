"""Reading the ``kefu dlq`` command line: which topic, which messages, who acts; and the exit codes."""

from __future__ import annotations

import argparse
import getpass
import os

from kefu_contracts import TOPICS
from kefu_contracts.topics import DLQ_SUFFIX

from .dlq_ranges import Selection

EXIT_OK, EXIT_ABORTED, EXIT_USAGE, EXIT_REFUSED, EXIT_KAFKA = 0, 1, 2, 3, 4
DEFAULT_SHOW_LAST = 20


class UsageError(ValueError):
    """Bad arguments the parser cannot see (an unknown topic, a bad namespace)."""


def selection(args: argparse.Namespace, *, default_last: int | None) -> Selection:
    """The one selection given on the command line (``UsageError`` for none or several)."""
    given = [name for name, on in (("--offset", args.offset is not None),
                                   ("--from/--to", args.start is not None or args.end is not None),
                                   ("--last", getattr(args, "last", None) is not None), ("--all", args.all)) if on]
    if len(given) > 1:
        raise UsageError(f"choose one of {', '.join(given)}")
    if not given:
        if default_last is None:
            raise UsageError("say which messages: --offset N, --from A --to B, or --all")
        return Selection(last=default_last)
    return Selection(offset=args.offset, start=args.start, end=args.end, last=getattr(args, "last", None),
                     all=args.all)


def logical_topic(name: str, namespace: str) -> str:
    """The contract topic meant by ``name`` (logical or physical, with or without ``.dlq``)."""
    if name.endswith(DLQ_SUFFIX):
        name = name[: -len(DLQ_SUFFIX)]
    if namespace and name.startswith(namespace + "."):
        name = name[len(namespace) + 1:]
    if name not in TOPICS:
        raise UsageError(f"unknown topic {name!r}; known topics: {', '.join(sorted(TOPICS))}")
    return name


def actor(given: str | None) -> str:
    if given:
        return given
    try:
        return os.environ.get("USER") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"

