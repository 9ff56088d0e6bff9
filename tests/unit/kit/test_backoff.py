"""The kit's one back-off (kefu_kit.backoff): how it waits, what it retries, when it gives up."""

from __future__ import annotations

import asyncio

import pytest
from kefu_kit.backoff import retry


def failing(times: int, error: BaseException):
    calls = {"n": 0}

    async def action() -> str:
        calls["n"] += 1
        if calls["n"] <= times:
            raise error
        return "done"

    return action, calls


async def test_waits_double_from_the_first_up_to_the_cap() -> None:
    action, calls = failing(6, ConnectionError("down"))
    waits: list[float] = []
    assert await retry(action, initial_s=0.001, max_s=0.004, on_retry=lambda e, w, a: waits.append(w)) == "done"
    assert calls["n"] == 7
    assert waits == [0.001, 0.002, 0.004, 0.004, 0.004, 0.004]


async def test_gives_up_after_its_attempts_with_the_last_error() -> None:
    action, calls = failing(10, ConnectionError("still down"))
    seen: list[int] = []
    with pytest.raises(ConnectionError, match="still down"):
        await retry(action, initial_s=0.001, max_s=0.001, attempts=3, on_retry=lambda e, w, a: seen.append(a))
    assert calls["n"] == 3 and seen == [1, 2]


async def test_an_error_it_must_not_retry_is_raised_at_once() -> None:
    action, calls = failing(1, ValueError("a bug"))
    with pytest.raises(ValueError):
        await retry(action, initial_s=0.001, max_s=0.01, retry_on=lambda e: isinstance(e, ConnectionError))
    assert calls["n"] == 1


async def test_cancellation_is_never_retried() -> None:
    action, calls = failing(1, asyncio.CancelledError())
    with pytest.raises(asyncio.CancelledError):
        await retry(action, initial_s=0.001, max_s=0.01)
    assert calls["n"] == 1
