"""Where integration tests get Kafka and MongoDB from: real servers, never mocks.

1. ``KEFU_KAFKA_BOOTSTRAP`` and ``KEFU_MONGO_URL`` when both are set (an existing stack);
2. else testcontainers (apache/kafka, mongo) when a Docker engine answers;
3. else the project's local stack (``deploy/local/stack.sh start``: Kafka from Maven
   Central jars, and mongod or SecantusDB), started if it is not running, with its one shared
   store (``KEFU_STORES=shared``): tests never use the per-service stores of ``make up``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
KAFKA_IMAGE = "apache/kafka:4.1.1"
MONGO_IMAGE = "mongo:8.0"


@dataclass(frozen=True)
class Infra:
    kafka_bootstrap: str
    mongo_url: str
    source: str


def docker_engine_answers() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def start_infra(stack: ExitStack) -> Infra:
    kafka, mongo = os.environ.get("KEFU_KAFKA_BOOTSTRAP"), os.environ.get("KEFU_MONGO_URL")
    if kafka and mongo:
        return Infra(kafka, mongo, "environment")
    if docker_engine_answers():
        from testcontainers.kafka import KafkaContainer
        from testcontainers.mongodb import MongoDbContainer

        k = stack.enter_context(KafkaContainer(KAFKA_IMAGE).with_kraft())
        m = stack.enter_context(MongoDbContainer(MONGO_IMAGE))
        return Infra(k.get_bootstrap_server(), m.get_connection_url(), "testcontainers")
    script = REPO / "deploy" / "local" / "stack.sh"
    # the suite needs the one shared store only, not a SecantusDB per service (they are left running if they are)
    subprocess.run([str(script), "start"], check=True, env={**os.environ, "KEFU_STORES": "shared"})
    env = subprocess.run([str(script), "env"], check=True, capture_output=True, text=True).stdout
    values = dict(
        line.removeprefix("export ").split("=", 1) for line in env.splitlines() if line.startswith("export ")
    )
    return Infra(values["KEFU_KAFKA_BOOTSTRAP"].strip("'\""), values["KEFU_MONGO_URL"].strip("'\""), "local stack")


async def drop_namespace(infra: Infra, namespace: str) -> None:
    """Delete a test namespace's topics (``<ns>.*``) and databases (``<ns>_*``)."""
    from aiokafka.admin import AIOKafkaAdminClient
    from pymongo import AsyncMongoClient

    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap)
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if t.startswith(f"{namespace}.")]
        if topics:
            await admin.delete_topics(topics)
    finally:
        await admin.close()
    client: AsyncMongoClient = AsyncMongoClient(infra.mongo_url)
    try:
        for name in await client.list_database_names():
            if name.startswith(f"{namespace}_"):
                await client.drop_database(name)
    finally:
        await client.close()
