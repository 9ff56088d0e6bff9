"""Sliding windows and the report: windows slide and forget, groups roll up their partitions."""

from __future__ import annotations

import json

from kefu_kit.lag import Observation, PartitionKey, Status, Thresholds, advance, build_report

NOW = 5_000.0
A0, A1, B0 = PartitionKey("g-a", "t", 0), PartitionKey("g-a", "t", 1), PartitionKey("g-b", "u", 0)


def obs(committed: int | None, lag: int, lag_seconds: float = 0.0, commit_at: float | None = NOW - 1) -> Observation:
    return Observation(NOW, committed, (committed or 0) + lag, lag, lag_seconds, commit_at)


def test_windows_keep_the_last_n_observations() -> None:
    windows: dict[PartitionKey, tuple[Observation, ...]] = {}
    for i in range(5):
        windows = advance(windows, {A0: obs(i, 1)}, size=3)
    assert [o.committed for o in windows[A0]] == [2, 3, 4]


def test_a_partition_the_sample_no_longer_sees_is_dropped() -> None:
    """A deleted topic (or expired group offsets) leaves the report instead of freezing there."""
    windows = advance({}, {A0: obs(1, 1), B0: obs(1, 1)}, size=3)
    windows = advance(windows, {A0: obs(2, 1)}, size=3)
    assert set(windows) == {A0}
    report = build_report(windows, Thresholds(), NOW)
    assert [g.group for g in report.groups] == ["g-a"]


def test_group_rolls_up_worst_status_total_lag_and_max_seconds() -> None:
    windows = advance({}, {A0: obs(5, 0), A1: obs(3, 4, 12.5, commit_at=NOW - 900), B0: obs(7, 0)}, size=3)
    report = build_report(windows, Thresholds(stop_after_s=60), NOW)
    a, b = report.group("g-a"), report.group("g-b")
    assert a is not None and b is not None
    assert (a.status, a.total_lag, a.max_lag_seconds) == (Status.STOP, 4, 12.5)
    assert [p.status for p in a.partitions] == [Status.OK, Status.STOP]
    assert (b.status, b.total_lag) == (Status.OK, 0)
    assert not report.ok
    assert report.group("nope") is None


def test_empty_report_is_ok() -> None:
    report = build_report({}, Thresholds(), NOW)
    assert report.groups == () and report.ok


def test_report_serialises_to_json_with_status_names() -> None:
    windows = advance({}, {A0: obs(None, 2, commit_at=None)}, size=3)
    data = json.loads(json.dumps(build_report(windows, Thresholds(), NOW).to_dict()))
    partition = data["groups"][0]["partitions"][0]
    assert data["groups"][0]["status"] == "STOP"
    assert partition == {
        "group": "g-a", "topic": "t", "partition": 0, "committed": None, "end": 2, "lag": 2, "lag_seconds": 0.0,
        "last_commit_at": None, "status": "STOP", "observations": 1,
    }
