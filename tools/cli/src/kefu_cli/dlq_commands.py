"""The ``kefu dlq`` subcommands: each reads what is there, decides with pure functions, then acts.

Everything printed goes through ``safe`` (masking); prompts and plans go to
stderr so that ``--json`` output on stdout stays machine-readable.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from datetime import datetime, timezone
from typing import Any

from kefu_contracts import TOPICS, Topics, dlq_name

from . import dlq_actions
from .dlq_args import DEFAULT_SHOW_LAST, EXIT_ABORTED, EXIT_OK, actor, logical_topic, selection
from .dlq_format import as_json, letter_data, render_history, render_letter, render_list, safe, summary
from .dlq_kafka import DlqKafka
from .dlq_ranges import RangeRefused, Span, purge_spans, select_spans
from .dlq_records import DeadLetter


def err(message: str) -> None:
    print(f"kefu dlq: {safe(message)}", file=sys.stderr)


def _out(text: str) -> None:
    print(safe(text))


async def _waiting(kafka: DlqKafka, dlq: str) -> tuple[bool, dict[int, tuple[int, int]]]:
    """Whether the DLQ exists, and ``(low, high)`` of each of its partitions."""
    parts = await kafka.partitions([dlq])
    marks = await kafka.watermarks(parts)
    return bool(parts), {p: marks[(dlq, p)] for p in parts.get(dlq, [])}


async def cmd_list(args: argparse.Namespace, bootstrap: str, topics: Topics) -> int:
    names = [logical_topic(args.topic, topics.namespace)] if args.topic else sorted(TOPICS)
    dlqs = {name: dlq_name(topics(name)) for name in names}
    async with DlqKafka(bootstrap) as kafka:
        parts = await kafka.partitions(dlqs.values())
        marks = await kafka.watermarks(parts)
        letters = await kafka.read({t: [Span(p, *marks[(t, p)]) for p in ps] for t, ps in parts.items()})
        history = await kafka.history(topics.namespace)
    rows = []
    for name, dlq in dlqs.items():
        mine = [letter for letter in letters if letter.dlq_topic == dlq]
        rows.append(summary(name, dlq, dlq in parts, {p: marks[(dlq, p)] for p in parts.get(dlq, [])},
                            mine, dlq_actions.replayed(mine, history)))
    _out(as_json(rows) if args.json else render_list(rows))
    return EXIT_OK


async def cmd_show(args: argparse.Namespace, bootstrap: str, topics: Topics) -> int:
    name = logical_topic(args.topic, topics.namespace)
    dlq = dlq_name(topics(name))
    sel = selection(args, default_last=DEFAULT_SHOW_LAST)
    async with DlqKafka(bootstrap) as kafka:
        exists, marks = await _waiting(kafka, dlq)
        if not any(hi > lo for lo, hi in marks.values()) and (sel.all or sel.last is not None):
            note = "" if exists else " (topic not created yet)"
            _out("[]" if args.json else f"no dead letters waiting in {dlq}{note}")
            return EXIT_OK
        letters = await kafka.read({dlq: select_spans(sel, dlq, args.partition, marks)})
    if args.json:
        _out(as_json([letter_data(letter) for letter in letters]))
    else:
        waiting = sum(hi - lo for lo, hi in marks.values())
        _out("\n\n".join(render_letter(letter) for letter in letters) + f"\n\n{len(letters)} of {waiting} shown")
    return EXIT_OK


async def cmd_replay(args: argparse.Namespace, bootstrap: str, topics: Topics) -> int:
    name = logical_topic(args.topic, topics.namespace)
    dlq = dlq_name(topics(name))
    sel = selection(args, default_last=None)
    async with DlqKafka(bootstrap) as kafka:
        _, marks = await _waiting(kafka, dlq)
        spans = select_spans(sel, dlq, args.partition, marks)
        letters = await kafka.read({dlq: spans})
        targets = {x.original_topic for x in letters}
        missing = sorted(targets - set(await kafka.partitions(targets)))
        if missing:
            raise RangeRefused(f"original topic(s) missing on the cluster: {', '.join(missing)}")
        if args.dry_run:
            _report(args, {"dry_run": True, "would_replay": [letter_data(x) for x in letters]},
                    ["dry run, nothing sent; would replay:", *(_replay_line(x, x.original_topic) for x in letters)])
            return EXIT_OK
        now = datetime.now(timezone.utc)
        sent = [f"{meta.topic}/{meta.partition}/{meta.offset}" for _, meta in await kafka.republish(letters, now)]
        record = dlq_actions.action_record("replay", name, dlq, spans, letters, actor(args.actor), now, sent_to=sent)
        await kafka.record_action(topics.namespace, record)
    _report(args, record, [f"replayed {len(letters)} message(s) from {dlq}:",
                           *(_replay_line(x, to) for x, to in zip(letters, sent))])
    return EXIT_OK


def _replay_line(letter: DeadLetter, to: str) -> str:
    return (f"  {letter.position} -> {to}  event_id={letter.event_id or '-'}  "
            f"reason={letter.reason} ({letter.error_type})")


async def cmd_purge(args: argparse.Namespace, bootstrap: str, topics: Topics) -> int:
    name = logical_topic(args.topic, topics.namespace)
    dlq = dlq_name(topics(name))
    async with DlqKafka(bootstrap) as kafka:
        _, marks = await _waiting(kafka, dlq)
        spans = purge_spans(None if args.all else args.before, dlq, args.partition, marks)
        letters = await kafka.read({dlq: spans})
        replayed = dlq_actions.replayed(letters, await kafka.history(topics.namespace))
        reasons = ", ".join(f"{k} {v}" for k, v in Counter(x.reason for x in letters).most_common())
        print(safe(f"will delete {len(letters)} message(s) from {dlq}: {'; '.join(s.describe() for s in spans)}\n"
                   f"  reasons: {reasons}\n  already replayed: {replayed}, never replayed: {len(letters) - replayed}"),
              file=sys.stderr)
        if not args.yes and not _confirmed(dlq):
            err("aborted, nothing deleted")
            return EXIT_ABORTED
        lows = await kafka.delete_before(dlq, {s.partition: s.stop for s in spans})
        now = datetime.now(timezone.utc)
        record = dlq_actions.action_record("purge", name, dlq, spans, letters, actor(args.actor), now)
        await kafka.record_action(topics.namespace, record)
    _report(args, record, [f"purged {len(letters)} message(s) from {dlq}; now starts at "
                           + ", ".join(f"partition {p} offset {lo}" for p, lo in sorted(lows.items()))])
    return EXIT_OK


def _confirmed(dlq: str) -> bool:
    print(f"type the topic name ({dlq}) to delete these messages: ", end="", file=sys.stderr, flush=True)
    return sys.stdin.readline().strip() == dlq


def _report(args: argparse.Namespace, data: dict[str, Any], lines: list[str]) -> None:
    _out(as_json(data) if args.json else "\n".join(lines))


async def cmd_history(args: argparse.Namespace, bootstrap: str, topics: Topics) -> int:
    name = logical_topic(args.topic, topics.namespace) if args.topic else None
    async with DlqKafka(bootstrap) as kafka:
        records = [r for r in await kafka.history(topics.namespace) if name is None or r.get("topic") == name]
    _out(as_json(records) if args.json else render_history(records))
    return EXIT_OK


COMMANDS = {"list": cmd_list, "show": cmd_show, "replay": cmd_replay, "purge": cmd_purge, "history": cmd_history}
