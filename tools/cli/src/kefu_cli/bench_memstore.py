"""An in-memory stand-in for the few collection calls the services' repositories make while seeding a preload.

Why: the services' own code makes ~22 store round trips per call; on the shared
SecantusDB that is ~50 calls/s, so 100k calls would take half an hour. Run
against this stand-in, the same repository code decides the same documents at
CPU speed, and ``flush`` then writes them to the real store in bulk (insert_many
of raw BSON, the store's fastest write).

Fidelity where it matters: each document is kept as the BSON the real store
would keep (datetimes in milliseconds, tz-aware on the way back, tuples as
lists), a duplicate ``_id`` raises the real ``DuplicateKeyError`` /
``BulkWriteError`` (code 11000) that ``insert_once`` and ``add_messages`` rely
on, and any call, operator or pipeline stage not implemented here raises
``NotImplementedError``: a repository change the stand-in cannot follow stops
the seeding loudly instead of seeding something else. It is never used by the
services themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import bson
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo import ReplaceOne
from pymongo.errors import BulkWriteError, DuplicateKeyError

CODEC = CodecOptions(tz_aware=True)
_RANGE = {"$gte": lambda a, b: a >= b, "$gt": lambda a, b: a > b, "$lte": lambda a, b: a <= b,
          "$lt": lambda a, b: a < b}


def _get(doc: dict[str, Any], path: str) -> Any:
    value: Any = doc
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def matches(doc: dict[str, Any], flt: dict[str, Any]) -> bool:
    """MongoDB's meaning of ``flt`` for the operators the repositories use: equality, $in and ranges."""
    for key, cond in flt.items():
        if key.startswith("$"):
            raise NotImplementedError(f"memstore: top-level {key}")
        value = _get(doc, key)
        if isinstance(cond, dict) and cond and all(k.startswith("$") for k in cond):
            for op, arg in cond.items():
                if op == "$in":
                    if value not in arg:
                        return False
                elif op in _RANGE:
                    if value is None or not _RANGE[op](value, arg):
                        return False
                else:
                    raise NotImplementedError(f"memstore: operator {op}")
        elif value != cond:
            return False
    return True


def _as_stored(flt: dict[str, Any]) -> dict[str, Any]:
    """The filter as the server sees it: its values through BSON too (datetimes in milliseconds), so a
    range compares like values; operators it does not know are refused before any document is looked at."""
    for key, cond in flt.items():
        if key.startswith("$"):
            raise NotImplementedError(f"memstore: top-level {key}")
        if isinstance(cond, dict):
            for op in cond:
                if op.startswith("$") and op != "$in" and op not in _RANGE:
                    raise NotImplementedError(f"memstore: operator {op}")
    return bson.decode(bson.encode({"f": flt}), codec_options=CODEC)["f"]


def _hashable(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool, type(None)))


def _values(cond: Any) -> list[Any] | None:
    """The plain values a condition allows (an equality, or ``$in``, maybe beside ranges), else None."""
    if _hashable(cond):
        return [cond]
    if isinstance(cond, dict) and isinstance(cond.get("$in"), list) and all(_hashable(v) for v in cond["$in"]):
        return cond["$in"]
    return None


def _project(doc: dict[str, Any], projection: dict[str, Any] | None) -> dict[str, Any]:
    """A top-level inclusion (``{f: 1}``, ``_id`` kept unless 0) or exclusion (``{f: 0}``) projection."""
    if not projection:
        return doc
    if any(k != "_id" and "." in k for k in projection):
        raise NotImplementedError("memstore: dotted projection paths")
    included = {k for k, v in projection.items() if v and k != "_id"}
    if included:
        keep = included | ({"_id"} if projection.get("_id", 1) else set())
        return {k: v for k, v in doc.items() if k in keep}
    return {k: v for k, v in doc.items() if k not in projection}


class _Cursor:
    def __init__(self, docs: list[dict[str, Any]]) -> None:
        self._docs = docs

    def sort(self, key: str, direction: int = 1) -> _Cursor:
        self._docs.sort(key=lambda d: (_get(d, key) is not None, _get(d, key)), reverse=direction < 0)
        return self

    def skip(self, n: int) -> _Cursor:
        self._docs = self._docs[n:]
        return self

    def limit(self, n: int) -> _Cursor:
        self._docs = self._docs[:n] if n else self._docs
        return self

    async def to_list(self, length: int | None = None) -> list[dict[str, Any]]:
        return self._docs if length is None else self._docs[:length]


class MemoryCollection:
    """Documents by ``_id`` as BSON, with hash indexes on the equality fields queries use (built on first use)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.docs: dict[Any, bytes] = {}
        self._indexes: dict[tuple[str, ...], dict[tuple[Any, ...], set[Any]]] = {}

    def __len__(self) -> int:
        return len(self.docs)

    # --- internals -------------------------------------------------------------------------------

    def _load(self, _id: Any) -> dict[str, Any]:
        return bson.decode(self.docs[_id], codec_options=CODEC)

    def _store(self, doc: dict[str, Any]) -> None:
        _id = doc["_id"]
        old = self._load(_id) if _id in self.docs and self._indexes else None
        self.docs[_id] = bson.encode(doc)
        stored = self._load(_id) if self._indexes else None
        for fields, index in self._indexes.items():
            if old is not None:
                index.get(tuple(_get(old, f) for f in fields), set()).discard(_id)
            assert stored is not None
            index.setdefault(tuple(_get(stored, f) for f in fields), set()).add(_id)

    def _remove(self, _id: Any) -> None:
        if self._indexes:
            old = self._load(_id)
            for fields, index in self._indexes.items():
                index.get(tuple(_get(old, f) for f in fields), set()).discard(_id)
        del self.docs[_id]

    def _candidates(self, flt: dict[str, Any]) -> Iterator[Any]:
        """The ids that may match ``flt`` (``matches`` has the last word), found without a scan whenever
        the filter has an equality or an ``$in`` of plain values: ``_id`` directly, other fields through
        a hash index. Only a filter of ranges alone looks at every document. The repositories' reads
        by a batch's ids are ``$in`` on ``_id``; scanned, they made a 100k preload quadratic."""
        ids = _values(flt["_id"]) if "_id" in flt else None
        if ids is not None:
            yield from [i for i in dict.fromkeys(ids) if i in self.docs]
            return
        fields = tuple(sorted(k for k, v in flt.items() if not isinstance(v, dict) and _hashable(v)))
        if fields:
            yield from list(self._index(fields).get(tuple(flt[f] for f in fields), ()))
            return
        for key, cond in sorted(flt.items()):
            values = _values(cond)
            if values is not None:
                index = self._index((key,))
                yield from list(dict.fromkeys(i for v in values for i in index.get((v,), ())))
                return
        yield from list(self.docs)

    def _index(self, fields: tuple[str, ...]) -> dict[tuple[Any, ...], set[Any]]:
        """The hash index on ``fields`` (values of those fields → ids), built on first use, kept by ``_store``."""
        if fields not in self._indexes:
            index: dict[tuple[Any, ...], set[Any]] = {}
            for _id in self.docs:
                doc = self._load(_id)
                index.setdefault(tuple(_get(doc, f) for f in fields), set()).add(_id)
            self._indexes[fields] = index
        return self._indexes[fields]

    def _matching(self, flt: dict[str, Any]) -> Iterator[dict[str, Any]]:
        flt = _as_stored(flt)
        for _id in self._candidates(flt):
            doc = self._load(_id)
            if matches(doc, flt):
                yield doc

    # --- the collection API the repositories call --------------------------------------------------

    async def create_index(self, *_args: Any, **_kwargs: Any) -> str:
        return "memstore"  # the real indexes are made on the real store (the services' ensure_indexes)

    async def insert_one(self, doc: dict[str, Any]) -> Any:
        if doc["_id"] in self.docs:
            raise DuplicateKeyError(f"E11000 duplicate key in {self.name}: {doc['_id']}", 11000)
        self._store(doc)
        return SimpleNamespace(inserted_id=doc["_id"])

    async def insert_many(self, docs: list[dict[str, Any]], ordered: bool = True) -> Any:
        errors = []
        for i, doc in enumerate(docs):
            if doc["_id"] in self.docs:
                errors.append({"index": i, "code": 11000, "errmsg": "E11000 duplicate key"})
                if ordered:
                    break
            else:
                self._store(doc)
        if errors:
            raise BulkWriteError({"writeErrors": errors, "nInserted": len(docs) - len(errors)})
        return SimpleNamespace(inserted_ids=[d["_id"] for d in docs])

    async def find_one(self, flt: dict[str, Any] | None = None, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        if args or kwargs:
            raise NotImplementedError("memstore: find_one with projection or options")
        return next(self._matching(flt or {}), None)

    def find(self, flt: dict[str, Any] | None = None, projection: dict[str, Any] | None = None,
             *args: Any, **kwargs: Any) -> _Cursor:
        if args or kwargs:
            raise NotImplementedError("memstore: find with options")
        return _Cursor([_project(doc, projection) for doc in self._matching(flt or {})])

    async def bulk_write(self, requests: list[Any], ordered: bool = True) -> Any:
        """Replacements only (``AggregateStore.mutate_many``'s snapshots), applied in order."""
        for request in requests:
            if not isinstance(request, ReplaceOne):
                raise NotImplementedError(f"memstore: bulk {type(request).__name__}")
            await self.replace_one(request._filter, request._doc, upsert=bool(request._upsert))
        return SimpleNamespace(modified_count=len(requests))

    async def replace_one(self, flt: dict[str, Any], doc: dict[str, Any], upsert: bool = False) -> Any:
        found = next(self._matching(flt), None)
        if found is None and not upsert:
            return SimpleNamespace(matched_count=0, modified_count=0)
        new = {**doc, "_id": found["_id"] if found else doc.get("_id", flt.get("_id"))}
        self._store(new)
        return SimpleNamespace(matched_count=int(found is not None), modified_count=int(found is not None))

    async def update_one(self, flt: dict[str, Any], update: dict[str, Any], upsert: bool = False) -> Any:
        found = next(self._matching(flt), None)
        upserted = found is None and upsert
        if found is None and not upsert:
            return SimpleNamespace(matched_count=0, modified_count=0, upserted_id=None)
        if found is None:  # an upsert starts from the filter's equalities, as MongoDB's does
            found = {k: v for k, v in flt.items() if not (isinstance(v, dict) and any(x.startswith("$") for x in v))}
        for op, fields in update.items():
            for key, value in fields.items():
                if "." in key:
                    raise NotImplementedError("memstore: dotted update paths")
                if op == "$set" or (op == "$setOnInsert" and upserted):
                    found[key] = value
                elif op == "$setOnInsert":
                    pass
                elif op == "$max":
                    if found.get(key) is None or value > found[key]:
                        found[key] = value
                elif op == "$min":
                    if found.get(key) is None or value < found[key]:
                        found[key] = value
                elif op == "$inc":
                    found[key] = (found.get(key) or 0) + value
                else:
                    raise NotImplementedError(f"memstore: update operator {op}")
        self._store(found)
        return SimpleNamespace(matched_count=int(not upserted), modified_count=int(not upserted),
                               upserted_id=found["_id"] if upserted else None)

    async def delete_one(self, flt: dict[str, Any]) -> Any:
        found = next(self._matching(flt), None)
        if found is not None:
            self._remove(found["_id"])
        return SimpleNamespace(deleted_count=int(found is not None))

    async def delete_many(self, flt: dict[str, Any]) -> Any:
        ids = [d["_id"] for d in self._matching(flt)]
        for _id in ids:
            self._remove(_id)
        return SimpleNamespace(deleted_count=len(ids))

    async def aggregate(self, pipeline: list[dict[str, Any]]) -> _Cursor:
        """``$match`` then ``$group`` by one field with ``$sum: 1`` accumulators: what ``open_counts`` asks."""
        docs: list[dict[str, Any]] = []
        for stage in pipeline:
            (name, spec), = stage.items()
            if name == "$match":
                docs = list(self._matching(spec))
            elif name == "$group":
                by = spec["_id"]
                if not (isinstance(by, str) and by.startswith("$")):
                    raise NotImplementedError("memstore: $group by an expression")
                groups: dict[Any, dict[str, Any]] = {}
                for doc in docs:
                    key = _get(doc, by[1:])
                    row = groups.setdefault(key, {"_id": key})
                    for out, acc in spec.items():
                        if out == "_id":
                            continue
                        if acc != {"$sum": 1}:
                            raise NotImplementedError(f"memstore: accumulator {acc}")
                        row[out] = row.get(out, 0) + 1
                docs = list(groups.values())
            else:
                raise NotImplementedError(f"memstore: stage {name}")
        return _Cursor(docs)

    def raw(self) -> Iterator[RawBSONDocument]:
        """The documents as the BSON to insert into the real store."""
        for data in self.docs.values():
            yield RawBSONDocument(data)


class MemoryDatabase:
    """``db.name`` and ``db["name"]`` give collections, as on ``AsyncDatabase``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.collections: dict[str, MemoryCollection] = {}

    def __getitem__(self, name: str) -> MemoryCollection:
        if name not in self.collections:
            self.collections[name] = MemoryCollection(name)
        return self.collections[name]

    def __getattr__(self, name: str) -> MemoryCollection:
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]


async def flush(memory: MemoryDatabase, real: Any, batch: int = 1000,
                progress: Callable[[int], None] = lambda _n: None) -> int:
    """Insert every document of ``memory`` into the real database ``real``; the number written."""
    written = 0
    for name, coll in memory.collections.items():
        docs = list(coll.raw())
        for start in range(0, len(docs), batch):
            await real[name].insert_many(docs[start:start + batch], ordered=False)
            written += len(docs[start:start + batch])
            progress(written)
    return written
