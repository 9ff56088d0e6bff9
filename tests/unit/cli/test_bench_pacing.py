"""A steady offered rate: scheduled by absolute times, and what was really offered measured, not assumed."""

from __future__ import annotations

import asyncio
import time

import pytest

from kefu_cli.bench_pacing import achieved_rate, max_behind, publish, schedule


def test_schedule_spaces_rate_times_duration_calls_evenly_from_zero() -> None:
    offsets = schedule(100, 60)
    assert len(offsets) == 6000
    assert offsets[0] == 0.0
    assert offsets[1] == pytest.approx(0.01)
    assert offsets[-1] == pytest.approx(59.99)


class SlowProducer:
    """A producer whose every send costs 4 ms before it returns (as a busy event loop would)."""

    async def send(self, topic: str, value: bytes, key: bytes, headers: list) -> asyncio.Future:
        time.sleep(0.004)
        done: asyncio.Future = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


async def test_publish_keeps_to_the_schedule_when_each_send_costs_time() -> None:
    offsets = schedule(100, 1.0)
    items = [(f"c{i}", b"k", b"{}") for i in range(len(offsets))]
    sent, start = await publish(SlowProducer(), "t", items, offsets)  # type: ignore[arg-type]
    times = list(sent.values())
    # sleeping a 10 ms gap after each 4 ms send would offer ~71/s; scheduling by absolute times offers 100/s
    assert achieved_rate(times) == pytest.approx(100, rel=0.1)
    assert max_behind(offsets, times, start) < 0.2


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
