"""A steady offered rate: scheduled by absolute times, and what was really offered measured, not assumed."""

from __future__ import annotations

import pytest

from kefu_cli.bench_pacing import achieved_rate, max_behind, schedule


def test_schedule_spaces_rate_times_duration_calls_evenly_from_zero() -> None:
    offsets = schedule(100, 60)
    assert len(offsets) == 6000
    assert offsets[0] == 0.0
    assert offsets[1] == pytest.approx(0.01)
    assert offsets[-1] == pytest.approx(59.99)


def test_schedule_times_are_absolute_so_errors_do_not_pile_up() -> None:
    offsets = schedule(3, 1000)
    assert offsets[2999] == pytest.approx(2999 / 3, abs=1e-9)  # not a sum of 2999 rounded gaps


def test_schedule_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        schedule(0, 60)
    with pytest.raises(ValueError):
        schedule(10, -1)


def test_achieved_rate_is_measured_from_the_sends() -> None:
    assert achieved_rate([10.0 + i / 50 for i in range(501)]) == pytest.approx(50.0)
    late = [i / 100 for i in range(100)] + [5.0]  # the last send came 4 s late
    assert achieved_rate(late) == pytest.approx(100 / 5.0)


def test_max_behind_is_the_latest_send_against_its_schedule() -> None:
    offsets = schedule(10, 1)
    sent = [100.0 + o for o in offsets]
    sent[4] += 0.3
    assert max_behind(offsets, sent, 100.0) == pytest.approx(0.3)
