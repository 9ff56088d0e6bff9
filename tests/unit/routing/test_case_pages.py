"""Case lists' cursors, shapes and windows as pure functions (the store side is in tests/integration)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from kefu_routing.adapters.case_pages import (
    MAX_SPAN,
    Position,
    choose_shape,
    decode_cursor,
    encode_cursor,
    next_span,
)
from kefu_routing.adapters.queries import CASE_LIST_SHAPES, case_window

T0 = datetime(2026, 11, 23, 1, 0, 0, 123000, tzinfo=timezone.utc)


def test_a_cursor_gives_back_its_position():
    pos = Position(T0, "case-ü-1|x")
    text = encode_cursor(pos)
    assert decode_cursor(text) == pos
    assert "=" not in text and "/" not in text and "+" not in text  # safe in a query string as it is


@pytest.mark.parametrize("text", ["", "abc", "!!!!", encode_cursor(Position(T0, "c"))[:-3],
                                  "WzEsMl0",  # [1,2]
                                  "WyIyMDI2LTExLTIzVDAxOjAwOjAwIiwiYyJd"])  # a naive time
def test_anything_else_is_not_a_cursor(text):
    with pytest.raises(ValueError):
        decode_cursor(text)


def test_the_shape_is_the_largest_indexed_one_the_filters_contain():
    assert choose_shape({"department": "engineering", "status": "assigned"}) == (
        {"department": "engineering", "status": "assigned"}, {})
    assert choose_shape({"department": "engineering", "status": "assigned", "level": 2}) == (
        {"department": "engineering", "status": "assigned"}, {"level": 2})
    assert choose_shape({"building": "3幢"}) == ({}, {"building": "3幢"})
    assert choose_shape({}) == ({}, {})
    assert choose_shape({"project": "P", "building": "B", "kind": "repair"}) == (
        {"project": "P", "building": "B"}, {"kind": "repair"})


def test_every_single_filter_has_a_shape_of_its_own_or_with_the_department():
    singles = {s[0] for s in CASE_LIST_SHAPES if len(s) == 1}
    assert {"department", "status", "level", "kind", "is_overdue", "project"} <= singles
    assert () in CASE_LIST_SHAPES


def test_windows_grow_fast_when_empty_and_to_the_density_seen_otherwise():
    day = timedelta(days=1)
    assert next_span(day, 0, 51) == 4 * day
    assert next_span(day, 10, 41) == day * (1.25 * 41 / 10)
    assert next_span(day, 100, 1) == 1.5 * day  # never shrinks below growing a little
    assert next_span(day, 1, 500) == 8 * day  # nor grows more than eightfold
    assert next_span(MAX_SPAN, 0, 10) == MAX_SPAN


def test_a_window_is_an_equality_prefix_and_one_range():
    assert case_window({"department": "d"}, T0, None, False) == {"department": "d", "opened_at": {"$gte": T0}}
    assert case_window({}, T0, T0 + timedelta(days=1), True) == {
        "opened_at": {"$gte": T0, "$lte": T0 + timedelta(days=1)}}
    assert case_window({}, T0, T0, False)["opened_at"] == {"$gte": T0, "$lt": T0}
