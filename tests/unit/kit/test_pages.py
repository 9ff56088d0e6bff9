"""List pages: cursors round-trip and refuse what the service did not hand out; facets select exactly the
documents whose values match a list request's filters."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone

import pytest
from kefu_kit.pages import BadCursor, decode_cursor, encode_cursor, facet, facets_of

AT = datetime(2026, 11, 2, 1, 30, 0, 123456, tzinfo=timezone.utc)


@pytest.mark.parametrize("key", [AT, "x", 7, None])
def test_a_cursor_gives_back_its_position(key):
    assert decode_cursor(encode_cursor(key, "id-1")) == (key, "id-1")


@pytest.mark.parametrize("text", ["", "%%%", "not-a-cursor", encode_cursor(AT, "a")[:-3]])
def test_a_cursor_not_handed_out_is_refused(text):
    with pytest.raises(BadCursor):
        decode_cursor(text)


def test_facets_match_exactly_the_filters_a_document_meets():
    doc = {"recipient": "customer:C1", "status": ["assigned", "open"], "case_id": None, "level": 0}
    have = set(facets_of(doc))
    values = {"recipient": ["customer:C1", "customer:C2", None], "status": ["assigned", "open", "closed", None],
              "case_id": ["K1", None], "level": [0, 1, None]}
    for combo in itertools.product(*values.values()):
        filters = dict(zip(values, combo))
        meets = all(v is None or v == doc[k] or (isinstance(doc[k], list) and v in doc[k])
                    for k, v in filters.items())
        assert (facet(filters) in have) == meets, filters


def test_no_filter_is_the_facet_every_document_has():
    assert facet({}) == facet({"x": None}) == "" and "" in facets_of({"a": 1}) and "" in facets_of({})
