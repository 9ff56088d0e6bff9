"""The kit's lifecycle on real servers: startup hooks before consuming, shutdown hooks after the loops stop."""

from __future__ import annotations

import asyncio
from typing import ClassVar

import pytest
from kefu_kit import ServiceKit, ServiceSettings

pytestmark = pytest.mark.integration


class LifecycleSettings(ServiceSettings):
    service: ClassVar[str] = "lifecycletest"


async def test_shutdown_hooks_run_after_the_loops_even_when_one_fails(infra, namespace):
    settings = LifecycleSettings(kafka_bootstrap=infra.kafka_bootstrap, mongo_url=infra.mongo_url, namespace=namespace)
    kit = ServiceKit(settings)
    happened: list[str] = []
    ticks = asyncio.Event()

    async def tick() -> None:
        happened.append("tick")
        ticks.set()

    async def broken() -> None:
        happened.append("broken hook")
        raise RuntimeError("a client that will not close")

    async def close() -> None:
        happened.append("close hook")

    kit.every("tick", 0.05, tick)
    kit.on_shutdown(broken)
    kit.on_shutdown(close)
    async with kit.lifespan(kit.app()):
        await asyncio.wait_for(ticks.wait(), 10)
        assert "broken hook" not in happened
    ticks_at_shutdown = happened.count("tick")
    assert happened[-2:] == ["broken hook", "close hook"], happened
    await asyncio.sleep(0.2)
    assert happened.count("tick") == ticks_at_shutdown, "the loops stopped before the hooks ran"
