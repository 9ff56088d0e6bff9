"""Pages of cases, newest first, read from the store in bounded windows of ``opened_at``.

Why windows and not ``find(filter).sort(...).limit(n)``: SecantusDB (like FerretDB
before it) has no limit pushdown. It collects every document its index yields for
the filter, sorts them, then cuts: a first page of "engineering's cases" would
read all of engineering's cases, every time. So a page is read as a few windows
of ``opened_at`` (an index range: only that window's cases are touched), the
newest window first, each sized from how many cases the last one held, until the
page is full or the oldest case is passed.

Order is ``(opened_at, _id)`` descending; the opaque cursor is the last case's
``(opened_at, _id)``, so a page after it starts exactly where it stopped, even
when cases share a timestamp and while new cases arrive.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from .queries import CASE_LIST_SHAPES, case_window

FIRST_SPAN = timedelta(days=1)
MAX_SPAN = timedelta(days=365 * 50)
MAX_WINDOWS = 48
EARLIEST = datetime(1900, 1, 1, tzinfo=timezone.utc)
LIST_PROJECTION = {"timeline": 0, "applied": 0}  # a list shows neither


@dataclass(frozen=True)
class Position:
    """Where a page ended: the last case's ``opened_at`` and ``_id``."""

    at: datetime
    case_id: str

    @classmethod
    def of(cls, case: dict[str, Any]) -> "Position":
        return cls(case["opened_at"], case["_id"])


def encode_cursor(position: Position) -> str:
    raw = json.dumps([position.at.isoformat(), position.case_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str) -> Position:
    """The position a cursor names; ValueError for anything this module did not write."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        at_text, case_id = json.loads(raw)
        at = datetime.fromisoformat(at_text)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise ValueError("not a cursor of this list") from exc
    if at.tzinfo is None or not isinstance(case_id, str) or not case_id:
        raise ValueError("not a cursor of this list")
    return Position(at, case_id)


def choose_shape(filters: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(indexed, rest)``: the largest list shape the filters contain, and the equalities left over.

    The store reads windows of the shape's index; ``rest`` is applied to what a window
    returned (never to more than a window). Every shape is indexed, ``()`` included.
    """
    given = set(filters)
    shape = max((s for s in CASE_LIST_SHAPES if set(s) <= given), key=len)
    indexed = {f: filters[f] for f in shape}
    return indexed, {f: v for f, v in filters.items() if f not in indexed}


def next_span(span: timedelta, found: int, missing: int) -> timedelta:
    """How far back the next window reaches: sized to find the ``missing`` cases at the density just seen."""
    factor = 4.0 if found <= 0 else min(8.0, max(1.5, 1.25 * missing / found))
    return min(span * factor, MAX_SPAN)


def _sort_key(case: dict[str, Any]) -> tuple[datetime, str]:
    return case["opened_at"], case["_id"]


def _before(case: dict[str, Any], position: Position) -> bool:
    return _sort_key(case) < (position.at, position.case_id)


async def read_page(
    snapshots: AsyncCollection[dict[str, Any]], filters: dict[str, Any], *, limit: int, skip: int = 0,
    after: Position | None = None, oldest: datetime | None, now: datetime,
) -> tuple[list[dict[str, Any]], Position | None]:
    """Up to ``limit`` cases matching ``filters`` (equalities), after ``skip`` and ``after``; and the next position.

    ``oldest`` is the earliest ``opened_at`` of any case (None: unknown, taken as 1900):
    no window reaches further back than that.
    """
    indexed, rest = choose_shape(filters)
    wanted = skip + limit + 1  # one more than the page: is there a next one?
    found: list[dict[str, Any]] = []
    upper, inclusive = (after.at, True) if after else (None, False)
    span = FIRST_SPAN
    floor = max(oldest, EARLIEST) if oldest is not None else EARLIEST
    for attempt in range(MAX_WINDOWS):
        top = upper if upper is not None else now
        # Always a lower bound, the oldest case's at the end: a range the index serves, never a bare scan.
        lower = top - span if top - floor > span else floor
        last = lower <= floor or attempt == MAX_WINDOWS - 1
        lower = floor if last else lower
        query = case_window(indexed, lower, upper, inclusive)
        window = [c for c in await snapshots.find(query, LIST_PROJECTION).to_list()
                  if all(c.get(f) == v for f, v in rest.items()) and (after is None or _before(c, after))]
        found += window
        if last or len(found) >= wanted:
            break
        span = next_span(span, len(window), wanted - len(found))
        upper, inclusive = lower, False
    found.sort(key=_sort_key, reverse=True)
    page = found[skip:skip + limit]
    more = len(found) > skip + limit
    return page, Position.of(page[-1]) if more and page else None
