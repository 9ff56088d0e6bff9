"""What ``make bench`` claims: latency percentiles, the first and last tenth, flatness and the JSON line."""

from __future__ import annotations

import json
import os
import time

import pytest

from kefu_cli.bench_report import flatness, hop_latencies, measured, percentiles, summary, tenth_rates
from kefu_cli.bench_system import cpu_seconds


def test_percentiles_are_latencies_that_happened_in_a_small_run() -> None:
    assert percentiles([float(i) for i in range(1, 101)]) == (50.5, 95.0, 99.0)
    assert percentiles([10.0, 20.0]) == (15.0, 19.5, 19.9)


def test_percentiles_need_two_latencies() -> None:
    with pytest.raises(ValueError):
        percentiles([1.0])


def test_a_steady_run_has_equal_tenths_and_flatness_one() -> None:
    times = [i * 0.1 for i in range(1000)]  # 10 per second from the first to the last completion
    first, last = tenth_rates(times)
    assert first == pytest.approx(10.0)
    assert last == pytest.approx(10.0)
    assert flatness(first, last) == 1.0


def test_a_run_that_halves_its_speed_has_flatness_one_half() -> None:
    fast = [i * 0.1 for i in range(500)]             # 10/s
    slow = [fast[-1] + (i + 1) * 0.2 for i in range(500)]  # then 5/s
    first, last = tenth_rates(slow[::-1] + fast)      # order of arrival does not matter: sorted by time
    assert first == pytest.approx(10.0)
    assert last == pytest.approx(5.0)
    assert flatness(first, last) == 0.5


def test_the_wait_before_the_first_completion_is_not_throughput() -> None:
    times = [100.0 + i for i in range(100)]  # nothing for 100 s (latency), then 1 per second
    first, _ = tenth_rates(times)
    assert first == pytest.approx(1.0)


def test_tenths_survive_completions_stamped_in_the_same_millisecond() -> None:
    first, last = tenth_rates([1.0] * 50 + [2.0] * 50)
    assert first > 0 and last > 0


def test_tenths_need_twenty_completions() -> None:
    with pytest.raises(ValueError):
        tenth_rates([float(i) for i in range(19)])


def test_flatness_without_a_first_rate_is_none() -> None:
    assert flatness(0.0, 3.0) is None


def test_measured_refuses_a_run_with_calls_that_never_completed() -> None:
    sent = {f"c{i}": float(i) for i in range(30)}
    done = {k: v + 1 for k, v in sent.items() if k != "c7"}
    with pytest.raises(ValueError, match="1 of 30"):
        measured(sent, done, 0.0)


def test_measured_gives_throughput_from_the_start_and_latency_per_call() -> None:
    sent = {f"c{i}": i * 0.5 for i in range(100)}
    done = {k: v + 0.25 for k, v in sent.items()}
    r = measured(sent, done, 0.0)
    assert r["calls_per_s"] == pytest.approx(100 / 49.75)
    assert r["seconds"] == pytest.approx(49.75)
    assert (r["p50"], r["p99"]) == (250.0, 250.0)
    assert r["flatness"] == 1.0


def test_the_json_line_keeps_the_old_keys_and_adds_the_new_ones() -> None:
    system = {"calls_per_s": 35.04, "p50": 1.0, "p95": 2.0, "p99": 3.0, "flatness": 0.98,
              "first_tenth": 36.0, "last_tenth": 35.3}
    line = summary(calls=3000, baseline={"calls_per_s": 9800.0, "flatness": 1.01}, system=system,
                   offered_rate=None, preload=100000, store="secantusdb 0.7.0b3", stores="shared",
                   rss_mb={"intake": {"start": 80.0, "end": 95.5}}, preload_seconds=301.26,
                   cpu_ms_per_call={"intake": 1.25, "store_intake": 0.5},
                   store_documents_per_call={"routing insert cases": 1.0})
    out = json.loads(line)
    assert "\n" not in line
    assert out["calls"] == 3000 and out["baseline_calls_per_s"] == 9800.0 and out["system_calls_per_s"] == 35.0
    assert out["ratio"] == pytest.approx(35.04 / 9800, abs=1e-4)
    assert (out["p50_ms"], out["p95_ms"], out["p99_ms"]) == (1.0, 2.0, 3.0)
    assert out["flatness"] == 0.98 and out["offered_rate"] is None and out["preload"] == 100000
    assert out["store"] == "secantusdb 0.7.0b3" and out["rss_mb"]["intake"]["end"] == 95.5
    assert out["preload_seconds"] == 301.3
    assert out["cpu_ms_per_call"] == {"intake": 1.25, "store_intake": 0.5}
    assert out["store_documents_per_call"] == {"routing insert cases": 1.0}


def test_the_json_line_of_a_rate_run_has_its_offered_rate_and_no_baseline() -> None:
    system = {"calls_per_s": 30.0, "p50": 1.0, "p95": 2.0, "p99": 3.0, "flatness": 1.0,
              "first_tenth": 30.0, "last_tenth": 30.0}
    out = json.loads(summary(calls=6000, baseline=None, system=system, offered_rate=99.996, preload=0,
                             store="mongodb 8.0.4", stores="shared", rss_mb={}))
    assert out["offered_rate"] == 100.0
    assert out["baseline_calls_per_s"] is None and out["ratio"] is None


def test_cpu_seconds_of_a_process_grow_with_the_work_it_does() -> None:
    before = cpu_seconds(os.getpid())
    end = time.process_time() + 0.2
    while time.process_time() < end:
        pass
    after = cpu_seconds(os.getpid())
    assert before is not None and after is not None
    assert after - before >= 0.15


def test_cpu_seconds_of_a_process_that_is_gone_is_none() -> None:
    assert cpu_seconds(2**22 + 12345) is None


def test_hop_latencies_split_a_calls_latency_between_the_points_it_passed() -> None:
    sent = {f"c{i}": 100.0 + i for i in range(10)}
    opened = {k: t + 0.010 for k, t in sent.items()}
    assigned = {k: t + 0.050 for k, t in opened.items()}
    notified = {k: t + 0.200 for k, t in assigned.items()}
    hops = hop_latencies([("publish", sent), ("intake", opened), ("routing", assigned), ("notifications", notified)])
    assert list(hops) == ["intake", "routing", "notifications"]
    assert hops["intake"]["p50"] == pytest.approx(10.0, abs=0.1)
    assert hops["routing"]["p99"] == pytest.approx(50.0, abs=0.1)
    assert hops["notifications"]["p95"] == pytest.approx(200.0, abs=0.1)


def test_hop_latencies_count_only_calls_seen_at_both_ends_and_never_go_negative() -> None:
    sent = {"a": 1.0, "b": 2.0, "c": 3.0}
    opened = {"a": 1.5, "b": 1.9}  # "c" never reached the topic; "b" stamped on a clock a little behind
    hops = hop_latencies([("publish", sent), ("intake", opened)])
    assert hops["intake"]["p50"] == pytest.approx(250.0, abs=0.1)
    assert min(hops["intake"].values()) >= 0.0
    assert hop_latencies([("publish", sent), ("intake", {"a": 2.0})]) == {}
