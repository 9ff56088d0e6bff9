"""Each lag status produced on purpose on the real broker, with raw aiokafka consumers.

Every test has its own topic (``<ns>.lagtest``, one partition) and group (``<ns>.kefu-lagtest``);
its consumer reads and commits exactly what the scenario needs, and ``LagMonitor`` samples
between the steps, so the window holds known observations. Record timestamps are set by the
test (an hour in the past), so lag in seconds is checked against bounds it computes itself.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from kefu_kit.lag import LagMonitor, LagReport, PartitionLag, Status, Thresholds, kefu_groups_prefix

from support.waiting import eventually

pytestmark = pytest.mark.integration

HOUR_MS = 3_600_000


class Scenario:
    """A topic with one partition, a producer with chosen timestamps, and the group's raw consumer."""

    def __init__(self, bootstrap: str, namespace: str, producer: AIOKafkaProducer) -> None:
        self.bootstrap, self.producer = bootstrap, producer
        self.topic, self.group = f"{namespace}.lagtest", f"{kefu_groups_prefix(namespace)}lagtest"
        self.tp = TopicPartition(self.topic, 0)
        self.prefix = kefu_groups_prefix(namespace)
        self.timestamps: list[float] = []  # epoch seconds of each record, by offset
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, group_id=self.group, enable_auto_commit=False, auto_offset_reset="earliest"
        )

    async def start(self) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(self.topic, 1, 1)])
        finally:
            await admin.close()
        await self.consumer.start()
        self.consumer.assign([self.tp])

    async def produce(self, n: int) -> None:
        """``n`` records stamped an hour ago, one millisecond apart."""
        base = int(time.time() * 1000) - HOUR_MS
        for i in range(n):
            await self.producer.send_and_wait(self.topic, b"x", timestamp_ms=base + i)
            self.timestamps.append((base + i) / 1000)

    async def consume_and_commit(self, n: int) -> int:
        """Read ``n`` records, then commit the position (what a consumer does after processing them)."""
        for _ in range(n):
            await self.consumer.getone(self.tp)
        position = await self.consumer.position(self.tp)
        await self.consumer.commit({self.tp: position})
        return position

    async def commit(self, offset: int) -> None:
        await self.consumer.commit({self.tp: offset})

    def monitor(self, **thresholds: float) -> LagMonitor:
        return LagMonitor(self.bootstrap, self.prefix, Thresholds(**thresholds))  # type: ignore[arg-type]

    def partition(self, report: LagReport) -> PartitionLag:
        group = report.group(self.group)
        assert group is not None, f"{self.group} not in {[g.group for g in report.groups]}"
        (partition,) = group.partitions
        return partition


@pytest.fixture
async def scenario(infra, namespace, producer) -> AsyncIterator[Scenario]:
    s = Scenario(infra.kafka_bootstrap, namespace, producer)
    await s.start()
    yield s
    await s.consumer.stop()


async def test_caught_up_consumer_is_ok(scenario: Scenario) -> None:
    await scenario.produce(5)
    await scenario.consume_and_commit(5)
    async with scenario.monitor(window=3, stop_after_s=1.0) as monitor:
        for _ in range(2):
            report = await monitor.sample()
    p = scenario.partition(report)
    assert (p.committed, p.end, p.lag, p.lag_seconds, p.status) == (5, 5, 0, 0.0, Status.OK)
    assert report.ok


async def test_stopped_consumer_with_lag_is_stop_and_lag_seconds_is_the_oldest_waiting_age(scenario: Scenario) -> None:
    await scenario.produce(10)
    assert await scenario.consume_and_commit(3) == 3
    await scenario.consumer.stop()  # the consumer dies with 7 messages waiting
    async with scenario.monitor(window=3, stop_after_s=1.0) as monitor:
        report = await eventually(monitor.sample, lambda r: scenario.partition(r).status is Status.STOP,
                                  timeout=30, interval=0.3, what="STOP")
        before = time.time()
        report = await monitor.sample()
        after = time.time()
    p = scenario.partition(report)
    assert (p.committed, p.end, p.lag, p.status) == (3, 10, 7, Status.STOP)
    assert report.group(scenario.group).status is Status.STOP and not report.ok
    oldest_waiting = scenario.timestamps[3]  # the record at the committed offset, stamped by the test
    assert before - oldest_waiting <= p.lag_seconds <= after - oldest_waiting
    assert p.last_commit_at is not None and p.last_commit_at <= before - 1.0


async def test_slow_consumer_whose_lag_grows_is_warn(scenario: Scenario) -> None:
    async with scenario.monitor(window=3, stop_after_s=120.0) as monitor:
        for _ in range(3):
            await scenario.produce(10)
            await scenario.consume_and_commit(1)  # one message per ten produced
            report = await monitor.sample()
    p = scenario.partition(report)
    assert (p.committed, p.lag, p.observations) == (3, 27, 3)
    assert p.status is Status.WARN


async def test_consumer_committing_the_same_offset_while_messages_wait_is_stall(scenario: Scenario) -> None:
    await scenario.produce(10)
    position = await scenario.consume_and_commit(4)
    async with scenario.monitor(window=3, stop_after_s=120.0) as monitor:
        for _ in range(3):
            await scenario.commit(position)  # stuck on a message, yet committing
            report = await monitor.sample()
    p = scenario.partition(report)
    assert (p.committed, p.lag) == (4, 6)
    assert p.status is Status.STALL


async def test_consumer_idle_without_commits_is_not_stall(scenario: Scenario) -> None:
    """Same offsets, but no new commit inside the window: not STALL (and not yet STOP)."""
    await scenario.produce(10)
    await scenario.consume_and_commit(4)
    async with scenario.monitor(window=3, stop_after_s=120.0) as monitor:
        for _ in range(3):
            report = await monitor.sample()
    assert scenario.partition(report).status is Status.WARN


async def test_offset_reset_backwards_is_rewind(scenario: Scenario) -> None:
    await scenario.produce(10)
    await scenario.consume_and_commit(6)
    async with scenario.monitor(window=3, stop_after_s=120.0) as monitor:
        await monitor.sample()
        scenario.consumer.seek(scenario.tp, 2)
        await scenario.commit(2)  # an operator resets the group to replay
        report = await monitor.sample()
    p = scenario.partition(report)
    assert (p.committed, p.lag, p.status) == (2, 8, Status.REWIND)


async def test_partition_never_committed_counts_from_the_log_start(infra, namespace, producer) -> None:
    """A group that committed partition 0 only: partition 1's waiting messages are nobody's, so STOP."""
    topic, group = f"{namespace}.twoparts", f"{kefu_groups_prefix(namespace)}half"
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 2, 1)])
    finally:
        await admin.close()
    for partition in (0, 1, 1):
        await producer.send_and_wait(topic, b"x", partition=partition)
    consumer = AIOKafkaConsumer(bootstrap_servers=infra.kafka_bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, 0)])
        await consumer.commit({TopicPartition(topic, 0): 1})
    finally:
        await consumer.stop()
    async with LagMonitor(infra.kafka_bootstrap, kefu_groups_prefix(namespace), Thresholds(stop_after_s=60)) as monitor:
        report = await monitor.sample()
    p0, p1 = report.group(group).partitions
    assert (p0.committed, p0.lag, p0.status) == (1, 0, Status.OK)
    assert (p1.committed, p1.end, p1.lag, p1.last_commit_at, p1.status) == (None, 2, 2, None, Status.STOP)
    assert p1.lag_seconds > 0


async def test_a_deleted_topic_leaves_the_report(scenario: Scenario, infra) -> None:
    await scenario.produce(3)
    await scenario.consume_and_commit(1)
    async with scenario.monitor(window=3, stop_after_s=120.0) as monitor:
        assert scenario.partition(await monitor.sample()).lag == 2
        admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap)
        await admin.start()
        try:
            await admin.delete_topics([scenario.topic])
        finally:
            await admin.close()
        report = await eventually(monitor.sample, lambda r: r.group(scenario.group) is None, timeout=30,
                                  interval=0.3, what="deleted topic gone from the report")
    assert report.ok
