"""``for_each_key``: a key's items in their order, keys concurrently within a bound, a failing key stops only itself."""

from __future__ import annotations

import asyncio

import pytest
from pymongo.errors import AutoReconnect

from kefu_kit.batches import for_each_key


def key(item: tuple[str, int]) -> str:
    return item[0]


async def test_items_of_a_key_run_in_their_order_and_results_come_back_in_item_order():
    items = [("a", 1), ("b", 1), ("a", 2), ("c", 1), ("b", 2), ("a", 3)]
    log: list[tuple[str, int]] = []

    async def fn(item: tuple[str, int]) -> str:
        # the earlier items of a key sleep longer: were a key's items concurrent, they would finish reversed
        await asyncio.sleep(0.01 * (4 - item[1]))
        log.append(item)
        return f"{item[0]}{item[1]}"

    results = await for_each_key(items, key, fn)
    assert results == ["a1", "b1", "a2", "c1", "b2", "a3"]
    for k in "abc":
        assert [n for kk, n in log if kk == k] == sorted(n for kk, n in items if kk == k)


async def test_keys_run_concurrently_up_to_the_bound():
    items = [(f"k{i}", 0) for i in range(10)]
    running = peak = 0

    async def fn(_item: tuple[str, int]) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.02)
        running -= 1

    started = asyncio.get_running_loop().time()
    await for_each_key(items, key, fn, concurrency=4)
    elapsed = asyncio.get_running_loop().time() - started
    assert peak == 4
    assert elapsed < 0.02 * 10 * 0.6, "keys were not handled concurrently"


async def test_one_key_at_a_time_with_concurrency_one():
    running = peak = 0

    async def fn(_item: tuple[str, int]) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0)
        running -= 1

    await for_each_key([("a", 1), ("b", 1), ("c", 1)], key, fn, concurrency=1)
    assert peak == 1


async def test_a_failing_item_stops_its_key_only_and_its_error_is_raised_after_the_others_finished():
    items = [("a", 1), ("b", 1), ("a", 2), ("b", 2), ("a", 3), ("c", 1)]
    done: list[tuple[str, int]] = []

    async def fn(item: tuple[str, int]) -> None:
        await asyncio.sleep(0.001)
        if item == ("a", 2):
            raise KeyError("bug on a2")
        done.append(item)

    with pytest.raises(KeyError, match="bug on a2"):
        await for_each_key(items, key, fn)
    assert ("a", 3) not in done, "a later item of the failing key ran (out of order)"
    assert sorted(done) == [("a", 1), ("b", 1), ("b", 2), ("c", 1)], "the other keys were not run to their end"


async def test_a_bug_is_raised_before_a_transient_failure_so_the_batch_consumer_isolates_it():
    async def fn(item: tuple[str, int]) -> None:
        if item[0] == "a":
            raise AutoReconnect("store unreachable")
        raise ValueError("bug")

    with pytest.raises(ValueError):
        await for_each_key([("a", 1), ("b", 1)], key, fn)

    async def transient_only(item: tuple[str, int]) -> None:
        raise AutoReconnect(f"unreachable {item[0]}")

    with pytest.raises(AutoReconnect, match="unreachable a"):
        await for_each_key([("a", 1), ("b", 1)], key, transient_only)


async def test_no_items_and_a_bad_bound():
    async def fn(_item: tuple[str, int]) -> None:
        raise AssertionError("not called")

    assert await for_each_key([], key, fn) == []
    with pytest.raises(ValueError):
        await for_each_key([("a", 1)], key, fn, concurrency=0)
