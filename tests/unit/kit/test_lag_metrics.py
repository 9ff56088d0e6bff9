"""The collector's exposition text, parsed back with prometheus_client's own parser."""

from __future__ import annotations

from dataclasses import dataclass

from kefu_kit.lag import LagCollector, LagReport, Observation, PartitionKey, Status, Thresholds, advance, build_report
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

NOW = 1_000.0


@dataclass
class FakeMonitor:
    report: LagReport | None


def exposition(report: LagReport | None) -> dict[str, list[tuple[dict[str, str], float]]]:
    registry = CollectorRegistry()
    registry.register(LagCollector(FakeMonitor(report)))
    text = generate_latest(registry).decode()
    families = {}
    for family in text_string_to_metric_families(text):
        assert family.type == "gauge"
        families[family.name] = [(s.labels, s.value) for s in family.samples]
    return families


def sample_report() -> LagReport:
    windows = advance(
        {},
        {
            PartitionKey("kefu-routing", "case.opened", 0): Observation(NOW, 10, 15, 5, 42.5, NOW - 999),
            PartitionKey("kefu-routing", "case.opened", 1): Observation(NOW, None, 0, 0, 0.0, None),
        },
        size=3,
    )
    return build_report(windows, Thresholds(stop_after_s=60), NOW)


def test_nothing_is_exposed_before_the_first_sample() -> None:
    assert exposition(None) == {}


def test_names_units_and_labels_follow_prometheus_conventions() -> None:
    families = exposition(sample_report())
    assert set(families) == {
        "kefu_consumer_group_committed_offset", "kefu_consumer_group_end_offset", "kefu_consumer_group_lag_messages",
        "kefu_consumer_group_lag_seconds", "kefu_consumer_group_partition_status", "kefu_consumer_group_status",
        "kefu_lag_report_timestamp_seconds",
    }
    assert families["kefu_lag_report_timestamp_seconds"] == [({}, NOW)]
    p0 = {"group": "kefu-routing", "topic": "case.opened", "partition": "0"}
    p1 = {**p0, "partition": "1"}
    assert families["kefu_consumer_group_committed_offset"] == [(p0, 10.0)]  # p1 has no commit: no sample
    assert families["kefu_consumer_group_end_offset"] == [(p0, 15.0), (p1, 0.0)]
    assert families["kefu_consumer_group_lag_messages"] == [(p0, 5.0), (p1, 0.0)]
    assert families["kefu_consumer_group_lag_seconds"] == [(p0, 42.5), (p1, 0.0)]


def test_statuses_are_state_sets_with_one_current_status() -> None:
    families = exposition(sample_report())
    group = {labels["status"]: value for labels, value in families["kefu_consumer_group_status"]}
    assert group == {s.value: (1.0 if s is Status.STOP else 0.0) for s in Status}
    per_partition: dict[str, dict[str, float]] = {}
    for labels, value in families["kefu_consumer_group_partition_status"]:
        per_partition.setdefault(labels["partition"], {})[labels["status"]] = value
    assert per_partition["0"]["STOP"] == 1.0 and sum(per_partition["0"].values()) == 1.0
    assert per_partition["1"]["OK"] == 1.0 and sum(per_partition["1"].values()) == 1.0
