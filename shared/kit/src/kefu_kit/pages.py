"""List pages read from the store: opaque cursors, bounded limits and one index for every filter combination.

Why: SecantusDB (like any store at scale) serves a query from an index only when
the query's fields are exactly a prefix of one index's keys; an optional filter
on four fields would need sixteen indexes, and a top-level ``$or`` (the usual
keyset "after (key, _id)") gets none. So a listed document carries ``facets``:
one canonical string per combination of its filterable values
(``facets_of``), and a list request asks for the one string its filters make
(``facet``). One index ``(facets, <sort key>, _id)`` then serves every filter
combination, its sort and its cursor, and the store returns exactly the page.

A page continues after the last document it returned (``keyset_page``): the
documents with the same sort key and a further ``_id``, then those with a further
sort key: two indexed queries instead of one ``$or``. The cursor is that
position, opaque to clients (base64 of JSON); a cursor that does not decode is
the client's error (``BadCursor``, a 422).
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.collection import AsyncCollection

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
NEXT_CURSOR = "X-Next-Cursor"
FACETS = "facets"

# For a route's ``responses=``: the header is part of the published API.
PAGE_RESPONSES: dict[int | str, dict[str, Any]] = {200: {"headers": {NEXT_CURSOR: {
    "description": "pass as ?cursor= to get the next page; absent on the last page",
    "schema": {"type": "string"}}}}}


class BadCursor(ValueError):
    """A cursor this service did not hand out (or for another sort)."""


def _tag(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    return value


def _untag(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"t"}:
        return datetime.fromisoformat(value["t"])
    return value


def encode_cursor(key: Any, doc_id: Any) -> str:
    raw = json.dumps([_tag(key), _tag(doc_id)], separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str) -> tuple[Any, Any]:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        key, doc_id = json.loads(raw)
        return _untag(key), _untag(doc_id)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise BadCursor(f"cursor {text[:80]!r} is not one this service handed out") from exc


def _part(name: str, value: Any) -> str:
    return f"{name}={json.dumps(_tag(value), ensure_ascii=False, sort_keys=True)}"


def facet(filters: Mapping[str, Any]) -> str:
    """The facet a list request's equality filters select ("" for no filter: every document has it)."""
    return "&".join(_part(k, filters[k]) for k in sorted(filters) if filters[k] is not None)


def facets_of(values: Mapping[str, Iterable[Any] | Any]) -> list[str]:
    """Every facet a document matches: each combination of its filterable values (a value of None matches no
    filter; an iterable gives several values of one field, e.g. a status and "open")."""
    options: list[list[tuple[str, Any] | None]] = []
    for name in sorted(values):
        value = values[name]
        given = list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]
        options.append([None, *((name, v) for v in given if v is not None)])
    out = {"&".join(_part(n, v) for n, v in (c for c in combo if c is not None)) for combo in itertools.product(*options)}
    return sorted(out)


def page_index(key: str, direction: int) -> list[tuple[str, int]]:
    """The index that serves every facet, sorted by ``key`` then ``_id`` in ``direction``."""
    return [(FACETS, ASCENDING), (key, direction), ("_id", direction)]


def page_queries(match: Mapping[str, Any], key: str, direction: int, cursor: str | None,
                 ) -> list[tuple[dict[str, Any], list[tuple[str, int]]]]:
    """The (filter, sort) of each query a page runs, in order (tests explain exactly these)."""
    order = [(key, direction), ("_id", direction)]
    if cursor is None:
        return [(dict(match), order)]
    last_key, last_id = decode_cursor(cursor)
    further = "$lt" if direction == DESCENDING else "$gt"
    return [({**match, key: last_key, "_id": {further: last_id}}, [("_id", direction)]),
            ({**match, key: {further: last_key}}, order)]


async def keyset_page(collection: AsyncCollection[dict[str, Any]], match: Mapping[str, Any], key: str,
                      direction: int, cursor: str | None, limit: int,
                      projection: Mapping[str, Any] | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """Up to ``limit`` documents after ``cursor`` in (``key``, ``_id``) order, and the next page's cursor.

    ``key`` must be set on every listed document (a missing key sorts apart and a range never reaches it).
    """
    found: list[dict[str, Any]] = []
    for query, order in page_queries(match, key, direction, cursor):
        want = limit + 1 - len(found)
        if want <= 0:
            break
        found += await collection.find(query, projection=dict(projection) if projection else None
                                       ).sort(order).limit(want).to_list()
    page = found[:limit]
    more = len(found) > limit and page
    return page, (encode_cursor(page[-1].get(key), page[-1]["_id"]) if more else None)
