"""The identity-key cache keeps the most recently used keys and never more than its size."""

from __future__ import annotations

from kefu_intake.adapters.store import KEY_CACHE_SIZE, _KeyCache


def test_the_cache_forgets_the_least_recently_used_key_beyond_its_size() -> None:
    cache = _KeyCache(size=3)
    for key in ("a", "b", "c"):
        cache.put(key, f"cust-{key}")
    assert cache.get("a") == "cust-a"  # a is now the most recent
    cache.put("d", "cust-d")
    assert cache.get("b") is None
    assert [cache.get(k) for k in ("a", "c", "d")] == ["cust-a", "cust-c", "cust-d"]


def test_the_default_cache_is_bounded() -> None:
    cache = _KeyCache()
    for i in range(KEY_CACHE_SIZE + 500):
        cache.put(f"phone:{i}", f"cust-{i}")
    assert len(cache._items) == KEY_CACHE_SIZE
    assert cache.get("phone:0") is None and cache.get(f"phone:{KEY_CACHE_SIZE + 499}") is not None
