"""``kefu_dependency_up`` on real servers: the kit's own health loop sets it, without anyone calling /health."""

from __future__ import annotations

import asyncio
from typing import ClassVar

import pytest
from kefu_kit import ServiceKit, ServiceSettings

pytestmark = pytest.mark.integration


class DependencySettings(ServiceSettings):
    service: ClassVar[str] = "deptest"


async def test_the_health_loop_reports_both_dependencies_up(infra, namespace):
    settings = DependencySettings(kafka_bootstrap=infra.kafka_bootstrap, mongo_url=infra.mongo_url,
                                  namespace=namespace, health_interval_s=0.2)
    kit = ServiceKit(settings)

    def up(dependency: str) -> float | None:
        return kit.registry.get_sample_value("kefu_dependency_up", {"service": "deptest", "dependency": dependency})

    assert up("kafka") is None and up("mongo") is None  # nothing checked yet
    async with kit.lifespan(kit.app()):
        for _ in range(100):
            if up("kafka") is not None and up("mongo") is not None:
                break
            await asyncio.sleep(0.1)
        assert (up("kafka"), up("mongo")) == (1.0, 1.0)
