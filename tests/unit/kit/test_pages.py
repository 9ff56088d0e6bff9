"""List pages: cursors round-trip and refuse what the service did not hand out; facets select exactly the
documents whose values match a list request's filters."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone

import pytest
from kefu_kit.pages import FACETS, BadCursor, decode_cursor, encode_cursor, facet, facet_match, facets_of

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


def _meets(doc, filters):
    return all(v is None or v == doc[k] or (isinstance(doc[k], list) and v in doc[k]) for k, v in filters.items())


def _selects(found, doc, facets):
    """What the store and keyset_page do with ``facet_match``'s filter and residual."""
    match, residual = found
    return match[FACETS] in facets and all(
        doc.get(k) == v or (isinstance(doc.get(k), list) and v in doc[k]) for k, v in residual.items())


def test_solo_fields_select_exactly_the_documents_that_meet_the_filters():
    docs = [{"recipient": r, "case_id": c, "channel": ch, "status": st}
            for r in ("customer:C1", "staff:S1") for c in ("K1", "K2", None) for ch in ("sms", "inbox")
            for st in ("sent", "failed")]
    values = {"recipient": ["customer:C1", "staff:S1", None], "case_id": ["K1", "K2", None],
              "channel": ["sms", "inbox", None], "status": ["sent", "failed", None]}
    for doc in docs:
        facets = set(facets_of(doc, solo=("case_id",)))
        for combo in itertools.product(*values.values()):
            filters = dict(zip(values, combo))
            assert _selects(facet_match(filters, solo=("case_id",)), doc, facets) == _meets(doc, filters), filters


def test_a_solo_field_joins_no_combination():
    doc = {"recipient": "customer:C1", "case_id": "K1", "channel": "sms", "status": "sent"}
    assert len(facets_of(doc)) == 16
    solo = facets_of(doc, solo=("case_id",))
    assert len(solo) == 9 and sum("case_id=" in f for f in solo) == 1
    assert facet_match({"status": "sent", "case_id": "K1"}, solo=("case_id",)) == (
        {FACETS: facet({"case_id": "K1"})}, {"status": "sent"})
    assert facet_match({"status": "sent", "case_id": None}, solo=("case_id",)) == (
        {FACETS: facet({"status": "sent"})}, {})


def test_documents_faceted_before_solo_fields_are_still_found():
    """Messages stored with every combination carry the solo field's own facet too."""
    doc = {"recipient": "customer:C1", "case_id": "K1", "channel": "sms", "status": "sent"}
    old = set(facets_of(doc))
    for filters in ({"case_id": "K1"}, {"case_id": "K1", "status": "sent"}, {"recipient": "customer:C1"}, {}):
        assert _selects(facet_match(filters, solo=("case_id",)), doc, old)
