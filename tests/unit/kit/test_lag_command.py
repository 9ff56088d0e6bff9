"""``kefu lag`` without Kafka: which groups it watches, the window it uses, the table it prints."""

from __future__ import annotations

import pytest
from kefu_cli.lag import build_monitor, parse_args, render
from kefu_kit.lag import Observation, PartitionKey, Thresholds, advance, build_report


def test_namespace_selects_its_kefu_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KEFU_NAMESPACE", raising=False)
    plain = build_monitor(parse_args([]))
    assert plain.watches("kefu-routing") and not plain.watches("staging.kefu-routing")
    staged = build_monitor(parse_args(["--namespace", "staging"]))
    assert staged.watches("staging.kefu-routing") and not staged.watches("kefu-routing")
    assert not staged.watches("staging.other-app")


def test_group_filter_takes_a_service_name_or_a_group_id() -> None:
    monitor = build_monitor(parse_args(["--namespace", "staging", "--group", "routing", "--group", "kefu-intake"]))
    assert monitor.watches("staging.kefu-routing") and monitor.watches("staging.kefu-intake")
    assert not monitor.watches("staging.kefu-surveys")


def test_defaults_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEFU_KAFKA_BOOTSTRAP", "kafka:9092")
    monkeypatch.setenv("KEFU_NAMESPACE", "demo")
    args = parse_args([])
    assert (args.bootstrap, args.namespace) == ("kafka:9092", "demo")


def test_window_is_the_samples_or_the_default_when_watching() -> None:
    assert build_monitor(parse_args(["--samples", "4"])).thresholds.window == 4
    assert build_monitor(parse_args(["--watch"])).thresholds.window == Thresholds.window
    t = build_monitor(parse_args(["--stop-after", "7200", "--allowed-lag", "5"])).thresholds
    assert (t.stop_after_s, t.allowed_lag, t.commit_lookback_s) == (7200, 5, 7200)


@pytest.mark.parametrize("argv", [["--samples", "0"], ["--interval", "-1"], ["--window", "0"]])
def test_nonsense_is_a_usage_error(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        parse_args(argv)
    assert exit_.value.code == 2


def test_table_shows_group_status_and_each_partition() -> None:
    now = 1_000.0
    windows = advance({}, {
        PartitionKey("kefu-routing", "case.opened", 0): Observation(now, 3, 10, 7, 65.4, now - 400),
        PartitionKey("kefu-routing", "case.opened", 1): Observation(now, None, 0, 0, 0.0, None),
    }, size=3)
    lines = render(build_report(windows, Thresholds(stop_after_s=300), now)).splitlines()
    assert lines[0] == "kefu-routing  STOP  total lag 7  max lag 65.4s"
    assert lines[1].split() == ["TOPIC", "PART", "COMMITTED", "END", "LAG", "LAG_S", "COMMIT_AGO_S", "STATUS"]
    assert lines[2].split() == ["case.opened", "0", "3", "10", "7", "65.4", "400", "STOP"]
    assert lines[3].split() == ["case.opened", "1", "-", "0", "0", "0.0", "-", "OK"]


def test_empty_table_says_what_to_check() -> None:
    assert "no consumer group found" in render(build_report({}, Thresholds(), 0.0))
