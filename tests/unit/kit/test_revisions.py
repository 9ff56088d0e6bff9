"""Revisions as changes: replaying a diff gives back exactly the new state, and a diff costs only what changed."""

from __future__ import annotations

import copy
import random
from datetime import datetime, timedelta, timezone
from typing import Any

import bson
import pytest
from bson.codec_options import CodecOptions
from kefu_kit.revisions import apply, diff, same

BSON = CodecOptions(tz_aware=True)
BASE = datetime(2026, 3, 1, 8, 30, tzinfo=timezone.utc)


def scalar(rng: random.Random) -> Any:
    kind = rng.randrange(7)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.randint(-3, 3)  # small ints: often equal to a bool or a float, which must still count as a change
    if kind == 3:
        return rng.choice([0.0, 1.0, 2.5, -1.0])
    if kind == 4:
        return rng.choice(["", "open", "已派单", "x" * rng.randint(1, 5)])
    if kind == 5:
        return BASE + timedelta(milliseconds=rng.randint(0, 5_000))  # milliseconds: what BSON keeps
    return rng.choice(["status", "assignee"])


def value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(10) if depth < 3 else 0
    if kind <= 5:
        return scalar(rng)
    if kind <= 7:
        return [value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {f"k{i}": value(rng, depth + 1) for i in rng.sample(range(6), rng.randint(0, 4))}


def state(rng: random.Random) -> dict[str, Any]:
    doc: dict[str, Any] = {"_id": "case-1", "rev": rng.randint(1, 50)}
    for i in rng.sample(range(12), rng.randint(0, 10)):
        doc[f"f{i}"] = value(rng)
    return doc


def changed(rng: random.Random, value_: Any) -> Any:
    """A value like ``value_``, changed in one of the ways a change function changes fields."""
    if isinstance(value_, list) and value_ and rng.random() < 0.7:
        out = copy.deepcopy(value_)
        how = rng.randrange(4)
        if how == 0:
            out.extend(value(rng) for _ in range(rng.randint(1, 3)))  # grew: a timeline
        elif how == 1:
            del out[rng.randrange(len(out)):]  # shrank
        elif how == 2:
            out[rng.randrange(len(out))] = value(rng)  # an item changed
        else:
            out.insert(0, value(rng))  # grew at the front: not an append
        return out
    if isinstance(value_, dict) and rng.random() < 0.7:
        out = copy.deepcopy(value_)
        out[f"k{rng.randrange(6)}"] = value(rng)  # a nested change: the field is stored whole
        return out
    if isinstance(value_, list) and rng.random() < 0.5:
        return [*copy.deepcopy(value_), value(rng)]
    return value(rng)


def successor(rng: random.Random, old: dict[str, Any]) -> dict[str, Any]:
    new = copy.deepcopy(old)
    new["rev"] = old["rev"] + 1
    for key in [k for k in old if k not in ("_id", "rev")]:
        roll = rng.random()
        if roll < 0.15:
            del new[key]
        elif roll < 0.6:
            new[key] = changed(rng, old[key])
    for _ in range(rng.randint(0, 2)):
        new[f"f{rng.randrange(16)}"] = value(rng)
    return new


@pytest.mark.parametrize("seed", range(40))
def test_replaying_a_diff_gives_back_the_new_state(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(100):
        old = state(rng)
        new = successor(rng, old)
        old_copy, new_copy = copy.deepcopy(old), copy.deepcopy(new)
        change = diff(old, new)
        change_copy = copy.deepcopy(change)
        replayed = apply(old, change)
        assert same(replayed, new), (old, new, change)
        assert replayed == new
        assert same(old, old_copy) and same(new, new_copy) and same(change, change_copy)  # nothing modified


@pytest.mark.parametrize("seed", range(10))
def test_a_chain_of_diffs_stored_as_bson_replays_to_the_last_state(seed: int) -> None:
    """What the store does: revision 1 whole, then diffs, each through BSON, replayed in order."""
    rng = random.Random(1000 + seed)
    states = [state(rng)]
    for _ in range(30):
        states.append(successor(rng, states[-1]))
    stored = [bson.decode(bson.encode(diff(a, b)), BSON) for a, b in zip(states, states[1:])]
    replayed = bson.decode(bson.encode(states[0]), BSON)
    for change, expected in zip(stored, states[1:]):
        replayed = apply(replayed, change)
        assert replayed == bson.decode(bson.encode(expected), BSON)


def test_a_grown_timeline_is_stored_as_its_new_items_only() -> None:
    timeline = [{"at": BASE + timedelta(minutes=i), "action": "note", "note": "已联系业主" * 5} for i in range(100)]
    old = {"_id": "c", "rev": 100, "status": "assigned", "timeline": timeline}
    entry = {"at": BASE + timedelta(days=1), "action": "in_progress", "note": "上门"}
    new = {**old, "rev": 101, "status": "in_progress", "timeline": [*timeline, entry]}
    change = diff(old, new)
    assert change == {"set": {"rev": 101, "status": "in_progress"}, "push": {"timeline": [entry]}}
    assert len(bson.encode(change)) < len(bson.encode(new)) / 50


def test_shrunk_changed_and_removed_fields_are_recorded() -> None:
    old = {"_id": "c", "rev": 1, "tags": ["a", "b"], "note": "x", "n": 1, "gone": None, "when": BASE}
    new = {"_id": "c", "rev": 2, "tags": ["a"], "note": "x", "n": True, "when": BASE + timedelta(seconds=1)}
    change = diff(old, new)
    assert change == {"set": {"rev": 2, "tags": ["a"], "n": True, "when": BASE + timedelta(seconds=1)},
                      "unset": ["gone"]}
    assert same(apply(old, change), new)


def test_a_value_of_another_type_is_a_change_even_when_python_calls_it_equal() -> None:
    for before, after in [(1, True), (1, 1.0), (0, False), ([1], [True]), ({"a": 1}, {"a": 1.0})]:
        assert diff({"v": before}, {"v": after}) == {"set": {"v": after}}


def test_an_unchanged_state_has_an_empty_diff() -> None:
    old = {"_id": "c", "rev": 3, "timeline": [{"at": BASE}], "meta": {"x": [1, 2]}, "none": None}
    assert diff(old, copy.deepcopy(old)) == {}
    assert apply(old, {}) == old


def test_a_change_that_does_not_fit_the_state_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown parts"):
        apply({"a": 1}, {"$set": {"a": 2}})
    with pytest.raises(ValueError, match="not a list"):
        apply({"a": 1}, {"push": {"a": [2]}})
