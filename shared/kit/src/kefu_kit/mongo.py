"""MongoDB plumbing: one client per service, its own database, and insert-once semantics.

Written for what real MongoDB and SecantusDB (the local default) both do, and
safe on FerretDB too: no multi-document transactions, no TTL or partial indexes.
Idempotency comes from deterministic ``_id`` values and unique indexes: a second
insert of the same effect fails with a duplicate-key error (11000, verified on
insert, update and bulk writes), which ``insert_once`` turns into "already done".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pymongo import AsyncMongoClient, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError

DUPLICATE_KEY = 11000

# Values per ``$in`` query. SecantusDB matches each candidate document against the whole ``$in``
# list, so one query's cost grows with the square of its length: measured on 0.7.0b3, reading
# 500 documents by ``_id`` cost 400 us a document in one ``$in`` of 500 and 130 us in ``$in``s of 100.
IN_CHUNK = 100


def make_client(url: str, app_name: str, listeners: Sequence[Any] = ()) -> AsyncMongoClient[dict[str, Any]]:
    """A tz-aware client (datetimes come back with UTC offsets, as contracts need) that journals its writes.

    ``journal=True`` (w:1, j:true): a write is acknowledged only once it is in the
    server's journal. Handlers commit their Kafka offset after their writes; a write
    acknowledged from memory alone can vanish when the server dies, and with the
    offset already committed the effect would be lost for good (measured on
    SecantusDB: 10 of 4,210 unjournaled inserts lost to a SIGKILL, 0 journaled).

    ``listeners``: driver event listeners (a service's ``StoreCommandMetrics``).
    """
    return AsyncMongoClient(url, tz_aware=True, appname=app_name, serverSelectionTimeoutMS=5000, journal=True,
                            event_listeners=list(listeners))


async def insert_once(collection: AsyncCollection[dict[str, Any]], document: dict[str, Any]) -> bool:
    """Insert ``document``; False when a document with the same unique key exists (a redelivery)."""
    try:
        await collection.insert_one(document)
    except DuplicateKeyError:
        return False
    return True


def _taken(exc: BulkWriteError) -> set[int]:
    """The indexes of a bulk write's operations refused for a duplicate key; any other error re-raised.

    The kit's one reading of a bulk write's errors (``insert_each``, ``upsert_each``).
    """
    details = exc.details or {}
    errors = details.get("writeErrors") or []
    if details.get("writeConcernErrors") or any(e.get("code") != DUPLICATE_KEY for e in errors):
        raise exc
    return {e["index"] for e in errors}


async def insert_each(collection: AsyncCollection[dict[str, Any]], documents: list[dict[str, Any]]) -> list[bool]:
    """Insert ``documents`` in one unordered bulk write; for each, in order, whether this call inserted it.

    ``insert_once`` for a batch: a duplicate key is a redelivery (or a concurrent
    writer that got there first, or an earlier document of the same batch), never an
    error; any other write error raises.
    """
    if not documents:
        return []
    try:
        await collection.insert_many(documents, ordered=False)
    except BulkWriteError as exc:
        existed = _taken(exc)
        return [i not in existed for i in range(len(documents))]
    return [True] * len(documents)


async def insert_new(collection: AsyncCollection[dict[str, Any]], documents: list[dict[str, Any]]) -> set[Any]:
    """Insert ``documents`` in one unordered bulk write; return the ``_id`` of those that existed already.

    ``insert_each`` for callers that look the existing ones up by id.
    """
    inserted = await insert_each(collection, documents)
    return {doc["_id"] for doc, new in zip(documents, inserted) if not new}


async def upsert_each(collection: AsyncCollection[dict[str, Any]], updates: list[UpdateOne]) -> set[int]:
    """Apply ``updates`` (upserts among them) in one unordered bulk write; the indexes of those whose key was taken.

    An upsert whose filter matches nothing inserts; when a document with its ``_id``
    (or another unique key) exists but does not match the filter, or a concurrent
    upsert inserted it first, the server refuses it with a duplicate key (11000). That
    means "it exists, not as this update expected", never an error: the caller decides
    (leave it alone, or update it after all). Any other write error raises.
    """
    if not updates:
        return set()
    try:
        await collection.bulk_write(updates, ordered=False)
    except BulkWriteError as exc:
        return _taken(exc)
    return set()


def chunks(values: Sequence[Any], size: int = IN_CHUNK) -> Iterable[Sequence[Any]]:
    """``values`` in slices of at most ``size`` (the ``$in`` lists of one batch's reads)."""
    for start in range(0, len(values), size):
        yield values[start:start + size]


def in_filter(field: str, values: Iterable[Any]) -> dict[str, Any]:
    """The filter of one ``find_in`` query (tests/integration/test_query_plans_aggregates.py explains it)."""
    return {field: {"$in": list(values)}}


async def find_in(collection: AsyncCollection[dict[str, Any]], field: str, values: Iterable[Any],
                  projection: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every document whose ``field`` is one of ``values``: a batch's read, in ``$in`` queries of ``IN_CHUNK``.

    One query per collection and batch is the shape handlers want; past about a hundred
    values the store pays more per value than a second query costs (``IN_CHUNK``).
    """
    unique = list(dict.fromkeys(values))
    found: list[dict[str, Any]] = []
    for part in chunks(unique):
        query = in_filter(field, part)
        found += await (collection.find(query) if projection is None else collection.find(query, projection)).to_list()
    return found
