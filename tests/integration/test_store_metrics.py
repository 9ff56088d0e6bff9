"""A service's store commands are counted by command and collection (what ``make bench`` divides by its calls)."""

from __future__ import annotations

import pytest
from kefu_kit.mongo import find_in, insert_new, make_client
from kefu_kit.store_metrics import StoreCommandMetrics
from prometheus_client import CollectorRegistry

pytestmark = pytest.mark.integration


def _value(registry: CollectorRegistry, metric: str, command: str, collection: str) -> float:
    return registry.get_sample_value(metric, {"command": command, "collection": collection}) or 0.0


async def test_commands_and_the_documents_they_carry_are_counted(infra, namespace):
    registry = CollectorRegistry()
    client = make_client(infra.mongo_url, "kefu-metrics-test", [StoreCommandMetrics(registry)])
    try:
        things = client[f"{namespace}_metrics"].things
        await insert_new(things, [{"_id": i} for i in range(250)])
        assert await insert_new(things, [{"_id": 1}, {"_id": 999}]) == {1}
        found = await find_in(things, "_id", list(range(0, 500, 2)))  # 250 ids: three queries of at most 100
        await things.update_many({"_id": {"$lt": 3}}, {"$set": {"seen": True}})
    finally:
        await client.close()
    assert len(found) == 125
    assert _value(registry, "kefu_store_commands_total", "insert", "things") == 2
    assert _value(registry, "kefu_store_documents_total", "insert", "things") == 252
    assert _value(registry, "kefu_store_commands_total", "find", "things") == 3
    assert _value(registry, "kefu_store_commands_total", "update", "things") == 1
    assert _value(registry, "kefu_store_documents_total", "update", "things") == 1
    assert _value(registry, "kefu_store_commands_total", "hello", "") == 0  # the driver's own chatter is left out
