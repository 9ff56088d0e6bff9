"""Sliding windows of observations and the report built from them (pure, no Kafka).

``advance`` moves every partition's window one observation forward; ``build_report``
evaluates each window and groups the partitions by consumer group. Partitions that a
sample no longer sees (the topic was deleted, the group's offsets expired) leave the
windows, so they stop being reported instead of staying frozen at their last values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

from .evaluation import Observation, Status, Thresholds, evaluate, worst


class PartitionKey(NamedTuple):
    group: str
    topic: str
    partition: int


Windows = Mapping[PartitionKey, tuple[Observation, ...]]


def advance(
    windows: Windows, snapshot: Mapping[PartitionKey, Observation], size: int
) -> dict[PartitionKey, tuple[Observation, ...]]:
    """Append each partition's new observation, keep the last ``size``, drop partitions the snapshot lacks."""
    return {key: (*windows.get(key, ()), obs)[-size:] for key, obs in snapshot.items()}


@dataclass(frozen=True)
class PartitionLag:
    """One partition of one group, as of the latest observation."""

    group: str
    topic: str
    partition: int
    committed: int | None  # None: the group has not committed this partition yet
    end: int  # the log end offset (the offset the next message will get)
    lag: int  # messages waiting: end - committed
    lag_seconds: float  # age of the oldest waiting message; 0 when caught up
    last_commit_at: float | None  # broker time of the group's latest commit here (epoch s), None if unseen
    status: Status
    observations: int  # how many observations the status was evaluated on (at most Thresholds.window)


@dataclass(frozen=True)
class GroupLag:
    """A consumer group: its worst partition's status and its totals."""

    group: str
    status: Status
    total_lag: int
    max_lag_seconds: float
    partitions: tuple[PartitionLag, ...]


@dataclass(frozen=True)
class LagReport:
    """Every watched group at one moment (``at``, epoch seconds), groups and partitions sorted by name."""

    at: float
    groups: tuple[GroupLag, ...]

    @property
    def ok(self) -> bool:
        """True when every group is OK (what ``kefu lag`` turns into its exit code)."""
        return all(g.status is Status.OK for g in self.groups)

    def group(self, name: str) -> GroupLag | None:
        return next((g for g in self.groups if g.group == name), None)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (statuses as their names): what ``kefu lag --json`` prints."""
        return asdict(self)


def build_report(windows: Windows, thresholds: Thresholds, now: float) -> LagReport:
    """Evaluate every partition's window and roll partitions up into their groups."""
    by_group: dict[str, list[PartitionLag]] = {}
    for key in sorted(windows):
        window = windows[key]
        if not window:
            continue
        last = window[-1]
        by_group.setdefault(key.group, []).append(
            PartitionLag(
                group=key.group, topic=key.topic, partition=key.partition, committed=last.committed,
                end=last.end, lag=last.lag, lag_seconds=last.lag_seconds, last_commit_at=last.last_commit_at,
                status=evaluate(window, thresholds, now), observations=len(window),
            )
        )
    groups = tuple(
        GroupLag(
            group=name,
            status=worst([p.status for p in parts]),
            total_lag=sum(p.lag for p in parts),
            max_lag_seconds=max((p.lag_seconds for p in parts), default=0.0),
            partitions=tuple(parts),
        )
        for name, parts in by_group.items()
    )
    return LagReport(at=now, groups=groups)
