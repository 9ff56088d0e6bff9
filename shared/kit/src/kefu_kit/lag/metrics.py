"""``LagCollector``: the monitor's latest report as Prometheus metrics.

Register it in a service's registry (``registry.register(LagCollector(monitor))``); it reads
``monitor.report`` on every scrape and never calls Kafka itself, so a scrape is cheap and the
sampling interval stays the service's choice. Before the first sample it exposes nothing.

Names follow Prometheus conventions: base units (messages, seconds), gauges without ``_total``.
Statuses are state sets: one series per status, 1 for the current one and 0 for the others, so
``kefu_consumer_group_status{status!="OK"} == 1`` is an alert and a graph needs no code table.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from .evaluation import Status
from .report import LagReport

PARTITION_LABELS = ["group", "topic", "partition"]


class ReportSource(Protocol):
    """What the collector reads: a ``LagMonitor``, or anything holding its latest report."""

    @property
    def report(self) -> LagReport | None: ...


class LagCollector(Collector):
    """Exposes ``kefu_consumer_group_*`` gauges from ``monitor.report``."""

    def __init__(self, monitor: ReportSource) -> None:
        self._monitor = monitor

    def collect(self) -> Iterator[Metric]:
        report = self._monitor.report
        if report is None:
            return
        committed = GaugeMetricFamily(
            "kefu_consumer_group_committed_offset",
            "Offset the group has committed (the next message it will process); absent before its first commit",
            labels=PARTITION_LABELS,
        )
        end = GaugeMetricFamily(
            "kefu_consumer_group_end_offset", "Log end offset of the partition (offset of the next message)",
            labels=PARTITION_LABELS,
        )
        lag = GaugeMetricFamily(
            "kefu_consumer_group_lag_messages", "Messages waiting for the group: end offset - committed offset",
            labels=PARTITION_LABELS,
        )
        lag_seconds = GaugeMetricFamily(
            "kefu_consumer_group_lag_seconds",
            "Age of the oldest message the group has not processed (0 when caught up)",
            labels=PARTITION_LABELS,
        )
        partition_status = GaugeMetricFamily(
            "kefu_consumer_group_partition_status",
            "Burrow-style status of the partition: 1 for the current status, 0 for the others",
            labels=[*PARTITION_LABELS, "status"],
        )
        taken = GaugeMetricFamily(
            "kefu_lag_report_timestamp_seconds",
            "When the exposed report was sampled (Unix time): alert when it grows old, the sampling has failed",
        )
        taken.add_metric([], report.at)
        group_status = GaugeMetricFamily(
            "kefu_consumer_group_status",
            "Burrow-style status of the group (its worst partition): 1 for the current status, 0 for the others",
            labels=["group", "status"],
        )
        for group in report.groups:
            for s in Status:
                group_status.add_metric([group.group, s.value], 1.0 if group.status is s else 0.0)
            for p in group.partitions:
                labels = [p.group, p.topic, str(p.partition)]
                if p.committed is not None:
                    committed.add_metric(labels, float(p.committed))
                end.add_metric(labels, float(p.end))
                lag.add_metric(labels, float(p.lag))
                lag_seconds.add_metric(labels, p.lag_seconds)
                for s in Status:
                    partition_status.add_metric([*labels, s.value], 1.0 if p.status is s else 0.0)
        yield from (committed, end, lag, lag_seconds, partition_status, group_status, taken)
