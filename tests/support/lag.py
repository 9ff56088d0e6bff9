"""Has a consumer group consumed everything on a topic? (committed offset == end offset, every partition)."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient


async def committed_and_end(bootstrap: str, group: str, topic: str) -> tuple[dict[int, int], dict[int, int]]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await admin.start()
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            await consumer._client.force_metadata_update()  # noqa: SLF001 - first look at a new topic
            partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        end = {tp.partition: off for tp, off in (await consumer.end_offsets(tps)).items()}
        offsets = await admin.list_consumer_group_offsets(group, partitions=tps)
        committed = {tp.partition: (meta.offset if meta.offset >= 0 else 0) for tp, meta in offsets.items()}
        return {p: committed.get(p, 0) for p in end}, end
    finally:
        await consumer.stop()
        await admin.close()


async def lag(bootstrap: str, group: str, topic: str) -> int:
    committed, end = await committed_and_end(bootstrap, group, topic)
    return sum(end[p] - committed[p] for p in end)


async def published(bootstrap: str, topic: str) -> int:
    """How many records a topic holds (the sum of its partitions' end offsets): what its producers have sent."""
    _, end = await committed_and_end(bootstrap, "kefu-tests-probe", topic)
    return sum(end.values())
