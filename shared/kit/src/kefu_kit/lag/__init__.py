"""Consumer lag you can trust: offsets, lag in messages and seconds, Burrow-style statuses.

- ``LagMonitor(bootstrap, groups_prefix, thresholds)``: ``await sample() -> LagReport``;
- ``LagCollector(monitor)``: the latest report as Prometheus gauges;
- ``evaluate``/``Thresholds``/``Status``: the pure rules (docs/lag.md).
"""

from .evaluation import SEVERITY, Observation, Status, Thresholds, evaluate, worst
from .metrics import LagCollector
from .monitor import LagMonitor, kefu_groups_prefix
from .report import GroupLag, LagReport, PartitionKey, PartitionLag, advance, build_report

__all__ = [
    "SEVERITY", "GroupLag", "LagCollector", "LagMonitor", "LagReport", "Observation", "PartitionKey",
    "PartitionLag", "Status", "Thresholds", "advance", "build_report", "evaluate", "kefu_groups_prefix", "worst",
]
