"""Fixtures shared by the integration and end-to-end tests.

Every test gets its own namespace (topic prefix, consumer groups, databases), so
tests share one Kafka and one store without seeing each other's data.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from kefu_kit.settings import is_service_mongo_url_var
from pymongo import AsyncMongoClient

from support import auth as test_auth
from support.infra import Infra, drop_namespace, start_infra
from support.services import ServiceProcess

# Every service a test starts (a process inherits this environment) or builds in-process knows the suite's people.
os.environ["KEFU_TOKENS"] = test_auth.env()
# The suite runs every service on the one server it reads (infra.mongo_url). A KEFU_<SERVICE>_MONGO_URL from
# the shell (`eval "$(deploy/local/stack.sh env)"` while the stack runs its per-service stores) would send a
# service's writes to a server the tests never look at: tests that want one set it themselves.
for _name in [n for n in os.environ if is_service_mongo_url_var(n)]:
    del os.environ[_name]


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    with ExitStack() as stack:
        yield start_infra(stack)


@pytest.fixture
async def namespace(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """A fresh namespace; afterwards its topics and databases are deleted.

    Each namespace makes about a hundred partitions. Kafka keeps files open per
    partition, so a whole suite's worth of leftovers exhausts the open-file limit
    (it did: 20,000 on these machines) and the broker shuts down.
    """
    ns = "t" + uuid.uuid4().hex[:12]
    yield ns
    if "infra" in request.fixturenames:  # the test used real servers: the services are stopped by now
        await drop_namespace(request.getfixturevalue("infra"), ns)


@pytest.fixture
async def mongo(infra: Infra) -> AsyncIterator[AsyncMongoClient[dict[str, Any]]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongo_url, tz_aware=True)
    yield client
    await client.close()


@pytest.fixture
async def producer(infra: Infra) -> AsyncIterator[AIOKafkaProducer]:
    p = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap, enable_idempotence=True, acks="all", linger_ms=5)
    await p.start()
    yield p
    await p.stop()


@pytest.fixture
def services(infra: Infra, namespace: str, tmp_path: Path) -> Iterator[Any]:
    """Factory: ``services("intake", "routing")`` starts those services (each its own process)."""
    started: list[ServiceProcess] = []

    def start(*names: str, wait: bool = True, **env: str) -> list[ServiceProcess]:
        procs = [ServiceProcess(n, infra, namespace, tmp_path, extra_env=env) for n in names]
        for p in procs:
            p.start(wait=False)
            started.append(p)
        if wait:
            for p in procs:
                p.wait_healthy()
        return procs

    yield start
    for p in started:
        p.stop(timeout=20)
