"""Which offsets a command acts on, and clear refusals for offsets that are not there."""

from __future__ import annotations

import pytest
from kefu_cli.dlq_ranges import RangeRefused, Selection, Span, purge_span, purge_spans, resolve, select_spans

T = "ns.call.received.dlq"


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        (Selection(offset=12), Span(0, 12, 13)),
        (Selection(start=11, end=13), Span(0, 11, 14)),
        (Selection(start=12), Span(0, 12, 15)),
        (Selection(end=11), Span(0, 10, 12)),
        (Selection(last=2), Span(0, 13, 15)),
        (Selection(last=99), Span(0, 10, 15)),
        (Selection(all=True), Span(0, 10, 15)),
    ],
)
def test_selections_within_the_waiting_offsets(selection: Selection, expected: Span) -> None:
    assert resolve(selection, T, 0, 10, 15) == expected  # offsets 10..14 waiting, 0..9 purged


@pytest.mark.parametrize(
    ("selection", "says"),
    [
        (Selection(offset=9), "offset 9 not waiting: ns.call.received.dlq partition 0 holds offsets 10..14; "
                              "offsets 0..9 were purged"),
        (Selection(offset=15), "offset 15 not waiting"),
        (Selection(start=8, end=12), "offsets 8..12 not waiting"),
        (Selection(start=13, end=11), "the range 13..11 is empty"),
        (Selection(last=0), "--last must be at least 1"),
    ],
)
def test_offsets_outside_or_empty_ranges_are_refused(selection: Selection, says: str) -> None:
    with pytest.raises(RangeRefused, match=says.replace(".", r"\.")):
        resolve(selection, T, 0, 10, 15)


def test_an_empty_partition_selects_nothing() -> None:
    with pytest.raises(RangeRefused, match="partition 0 is empty; offsets 0..4 were purged"):
        resolve(Selection(all=True), T, 0, 5, 5)
    with pytest.raises(RangeRefused, match="is empty"):
        resolve(Selection(offset=5), T, 0, 5, 5)


def test_purge_deletes_below_an_offset_or_everything() -> None:
    assert purge_span(None, T, 0, 10, 15) == Span(0, 10, 15)
    assert purge_span(12, T, 0, 10, 15) == Span(0, 10, 12)
    assert purge_span(15, T, 0, 10, 15).count == 5
    with pytest.raises(RangeRefused, match="nothing to purge before offset 10"):
        purge_span(10, T, 0, 10, 15)
    with pytest.raises(RangeRefused, match="past the end"):
        purge_span(16, T, 0, 10, 15)
    with pytest.raises(RangeRefused, match="nothing to purge"):
        purge_span(None, T, 0, 15, 15)


def test_spans_describe_themselves() -> None:
    assert Span(0, 4, 5).describe() == "partition 0 offset 4"
    assert Span(2, 4, 8).describe() == "partition 2 offsets 4..7"


def test_all_and_last_cover_every_partition_with_messages_the_others_one_partition() -> None:
    marks = {0: (10, 15), 1: (3, 3), 2: (0, 2)}
    assert select_spans(Selection(all=True), T, 0, marks) == [Span(0, 10, 15), Span(2, 0, 2)]
    assert select_spans(Selection(last=1), T, 0, marks) == [Span(0, 14, 15), Span(2, 1, 2)]
    assert select_spans(Selection(offset=1), T, 2, marks) == [Span(2, 1, 2)]
    assert purge_spans(None, T, 0, marks) == [Span(0, 10, 15), Span(2, 0, 2)]
    assert purge_spans(12, T, 0, marks) == [Span(0, 10, 12)]
    with pytest.raises(RangeRefused, match="has no partition 5"):
        select_spans(Selection(offset=1), T, 5, marks)


def test_a_missing_or_empty_dead_letter_topic_is_refused_with_what_it_holds() -> None:
    with pytest.raises(RangeRefused, match="ns.call.received.dlq does not exist"):
        select_spans(Selection(all=True), T, 0, {})
    with pytest.raises(RangeRefused, match="does not exist"):
        purge_spans(3, T, 0, {})
    with pytest.raises(RangeRefused, match="nothing to purge: .* partition 0 is empty; offsets 0..6 were purged"):
        purge_spans(None, T, 0, {0: (7, 7)})
