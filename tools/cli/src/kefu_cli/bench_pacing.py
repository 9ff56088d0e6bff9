"""Publishing the bench's calls: as fast as Kafka takes them (burst), or at a steady offered rate.

A steady rate is scheduled by absolute times (call ``i`` at ``start + i / rate``),
never by sleeping a fixed gap after each send: sleeps overshoot and the error
would pile up, offering less than asked. A publisher that falls behind sends at
once until it is back on schedule; what was really offered is measured from the
send times and reported, with how far behind schedule it ever was.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer


def schedule(rate: float, duration: float) -> list[float]:
    """Offsets (seconds from the start) at which to send: ``rate * duration`` calls, evenly spaced."""
    if rate <= 0 or duration <= 0:
        raise ValueError("rate and duration must be positive")
    return [i / rate for i in range(round(rate * duration))]


def achieved_rate(sent_at: Sequence[float]) -> float:
    """Calls per second really offered: the gaps between the first and the last send."""
    if len(sent_at) < 2:
        raise ValueError("an offered rate needs at least two sends")
    times = sorted(sent_at)
    return (len(times) - 1) / max(times[-1] - times[0], 1e-9)


def max_behind(offsets: Sequence[float], sent_at: Sequence[float], start: float) -> float:
    """The longest a send came after its scheduled time (seconds)."""
    return max((s - (start + o) for o, s in zip(offsets, sent_at)), default=0.0)


async def publish(producer: AIOKafkaProducer, topic: str, items: Sequence[tuple[str, bytes, bytes]],
                  offsets: Sequence[float] | None = None) -> tuple[dict[str, float], float]:
    """Send every (id, key, value), on ``offsets`` if given; id -> send time (epoch seconds), and the start.

    Acks are awaited together at the end (``send`` only queues), so waiting for one
    never delays the next send.
    """
    futures = []
    sent: dict[str, float] = {}
    start_mono, start = time.monotonic(), time.time()
    for i, (ident, key, value) in enumerate(items):
        if offsets is not None:
            delay = start_mono + offsets[i] - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        sent[ident] = time.time()
        futures.append(await producer.send(topic, value, key=key, headers=[("content-type", b"application/json")]))
    await asyncio.gather(*futures)
    return sent, start
