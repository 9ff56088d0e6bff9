"""Which dead letters a command acts on: offsets checked against what the partition really holds.

A partition holds offsets ``low .. high-1`` (``low`` moves up when records are
purged, ``high`` is the next offset to be written). A request outside that, or
one that selects nothing, is refused with a sentence that says what is there,
so an operator never replays or deletes something other than what they meant.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


# (low, high) per partition of one topic
Marks = dict[int, tuple[int, int]]


class RangeRefused(ValueError):
    """The requested offsets are empty or not in the partition."""


@dataclass(frozen=True)
class Span:
    """Offsets ``start .. stop-1`` of one partition."""

    partition: int
    start: int
    stop: int

    @property
    def count(self) -> int:
        return self.stop - self.start

    def describe(self) -> str:
        if self.count == 1:
            return f"partition {self.partition} offset {self.start}"
        return f"partition {self.partition} offsets {self.start}..{self.stop - 1}"


@dataclass(frozen=True)
class Selection:
    """What the command line asked for: one offset, an inclusive range, the last K, or all."""

    offset: int | None = None
    start: int | None = None
    end: int | None = None
    last: int | None = None
    all: bool = False


def holds(topic: str, partition: int, low: int, high: int) -> str:
    """A sentence saying what a partition holds now."""
    where = f"{topic} partition {partition}"
    if low == high:
        gone = f"; offsets 0..{low - 1} were purged" if low else ""
        return f"{where} is empty{gone}"
    purged = f"; offsets 0..{low - 1} were purged" if low else ""
    return f"{where} holds offsets {low}..{high - 1}{purged}"


def resolve(selection: Selection, topic: str, partition: int, low: int, high: int) -> Span:
    """The span of one partition a selection means, or ``RangeRefused`` saying why not."""
    if selection.all:
        span = Span(partition, low, high)
    elif selection.last is not None:
        if selection.last <= 0:
            raise RangeRefused(f"--last must be at least 1, not {selection.last}")
        span = Span(partition, max(low, high - selection.last), high)
    elif selection.offset is not None:
        _inside(selection.offset, selection.offset, topic, partition, low, high)
        span = Span(partition, selection.offset, selection.offset + 1)
    else:
        start = low if selection.start is None else selection.start
        end = high - 1 if selection.end is None else selection.end
        if start > end:
            raise RangeRefused(f"the range {start}..{end} is empty (--from must not be after --to)")
        _inside(start, end, topic, partition, low, high)
        span = Span(partition, start, end + 1)
    if span.count == 0:
        raise RangeRefused(f"nothing to select: {holds(topic, partition, low, high)}")
    return span


def purge_span(before: int | None, topic: str, partition: int, low: int, high: int) -> Span:
    """Offsets a purge removes: everything below ``before`` (all when None) that is still there."""
    stop = high if before is None else before
    if stop > high:
        raise RangeRefused(f"--before {stop} is past the end: {holds(topic, partition, low, high)}")
    if stop <= low:
        raise RangeRefused(f"nothing to purge before offset {stop}: {holds(topic, partition, low, high)}")
    return Span(partition, low, stop)


def _inside(start: int, end: int, topic: str, partition: int, low: int, high: int) -> None:
    if start < low or end >= high:
        asked = f"offset {start}" if start == end else f"offsets {start}..{end}"
        raise RangeRefused(f"{asked} not waiting: {holds(topic, partition, low, high)}")


def select_spans(sel: Selection, dlq: str, partition: int, marks: Marks) -> list[Span]:
    """Spans for a selection: --all/--last over every partition, the others in one partition."""
    if sel.all or sel.last is not None:
        return _every_partition(lambda p, lo, hi: resolve(sel, dlq, p, lo, hi), dlq, marks, "nothing waiting")
    _check_partition(dlq, partition, marks)
    return [resolve(sel, dlq, partition, *marks[partition])]


def purge_spans(before: int | None, dlq: str, partition: int, marks: Marks) -> list[Span]:
    """What a purge deletes: below ``before`` in one partition, or everything waiting (``before`` None)."""
    if before is None:
        return _every_partition(lambda p, lo, hi: purge_span(None, dlq, p, lo, hi), dlq, marks, "nothing to purge")
    _check_partition(dlq, partition, marks)
    return [purge_span(before, dlq, partition, *marks[partition])]


def _every_partition(span: Callable[[int, int, int], Span], dlq: str, marks: Marks,
                     refusal: str) -> list[Span]:
    _check_exists(dlq, marks)
    spans = [span(p, lo, hi) for p, (lo, hi) in sorted(marks.items()) if hi > lo]
    if not spans:
        raise RangeRefused(f"{refusal}: {'; '.join(holds(dlq, p, *m) for p, m in sorted(marks.items()))}")
    return spans


def _check_exists(dlq: str, marks: Marks) -> None:
    if not marks:
        raise RangeRefused(f"{dlq} does not exist (no consumer of its topic has started in this namespace)")


def _check_partition(dlq: str, partition: int, marks: Marks) -> None:
    _check_exists(dlq, marks)
    if partition not in marks:
        raise RangeRefused(f"{dlq} has no partition {partition} (partitions: {sorted(marks)})")
