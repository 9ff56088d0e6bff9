"""Query plans on the real store: a repository query that scans a growing collection fails its test.

``explain()`` on SecantusDB (and mongod) reports a plan tree whose stages are
``COLLSCAN`` for a full scan and ``IXSCAN`` under ``FETCH`` for an index. Writes
are checked through the find of their filter: an update or delete finds its
documents the same way.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection


def stages(plan: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every stage of a plan tree (``inputStage``, ``inputStages``, ``queryPlan``)."""
    yield plan
    for key in ("inputStage", "queryPlan"):
        child = plan.get(key)
        if isinstance(child, Mapping):
            yield from stages(child)
    for child in plan.get("inputStages", []) or []:
        yield from stages(child)


def winning_plan(explained: Mapping[str, Any]) -> Mapping[str, Any]:
    planner = explained.get("queryPlanner") or {}
    plan = planner.get("winningPlan")
    if plan is None:
        raise AssertionError(f"explain() gave no winning plan: {dict(explained)!r}"[:2000])
    return plan


async def plan_of(
    collection: AsyncCollection[dict[str, Any]], query: Mapping[str, Any],
    sort: list[tuple[str, int]] | None = None, limit: int | None = None,
) -> Mapping[str, Any]:
    cursor = collection.find(dict(query))
    if sort:
        cursor = cursor.sort(sort)
    if limit:
        cursor = cursor.limit(limit)
    return winning_plan(await cursor.explain())


async def assert_indexed(
    collection: AsyncCollection[dict[str, Any]], query: Mapping[str, Any],
    sort: list[tuple[str, int]] | None = None, limit: int | None = None, *, index: str | None = None,
) -> str:
    """Fail if the query scans the collection; return the name of the index it uses.

    ``index``: also require that this index serves it (a plan can use a worse one).
    """
    plan = await plan_of(collection, query, sort, limit)
    kinds = [s.get("stage") for s in stages(plan)]
    assert "COLLSCAN" not in kinds, (
        f"{collection.full_name}: {dict(query)!r} sort={sort!r} scans the whole collection; plan {dict(plan)!r}"
    )
    used = [s.get("indexName") for s in stages(plan) if s.get("stage") == "IXSCAN"]
    assert used, f"{collection.full_name}: {dict(query)!r} uses no index; plan {dict(plan)!r}"
    if index is not None:
        assert index in used, f"{collection.full_name}: {dict(query)!r} uses {used}, not {index}"
    return str(used[0])
