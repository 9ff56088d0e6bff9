"""Burrow's rules on plain data: every status, in Burrow's order of precedence, and the edge cases."""

from __future__ import annotations

import pytest
from kefu_kit.lag import Observation, Status, Thresholds, evaluate, worst

NOW = 10_000.0
T = Thresholds(window=5, allowed_lag=0, stop_after_s=60.0)


def obs(committed: int | None, lag: int, commit_at: float | None = NOW - 1, at: float = NOW) -> Observation:
    end = (committed or 0) + lag
    return Observation(at=at, committed=committed, end=end, lag=lag, lag_seconds=0.0, last_commit_at=commit_at)


CASES = {
    "empty window: nothing known": ([], Status.OK),
    "no lag": ([obs(5, 0), obs(5, 0)], Status.OK),
    "lag zero once in the window (Burrow rule 1)": ([obs(5, 3), obs(8, 0), obs(8, 4)], Status.OK),
    "caught up but silent for hours is still OK": ([obs(5, 0, commit_at=NOW - 9999)], Status.OK),
    "one lagging observation, recent commit: cannot tell yet": ([obs(5, 3)], Status.OK),
    "lag shrinking while offsets move": ([obs(1, 9), obs(5, 7), obs(9, 4)], Status.OK),
    "lag only growing, offsets moving: WARN": ([obs(1, 9), obs(2, 18), obs(3, 27)], Status.WARN),
    "lag flat, offsets moving: WARN (Burrow: never decreasing)": ([obs(1, 9), obs(5, 9)], Status.WARN),
    "lag not moving, no commit in the window, not yet stop_after: WARN": (
        [obs(4, 6, commit_at=NOW - 30), obs(4, 6, commit_at=NOW - 30)], Status.WARN),
    "committing the same offset while lagging: STALL": (
        [obs(4, 6, commit_at=NOW - 20), obs(4, 6, commit_at=NOW - 10), obs(4, 8, commit_at=NOW - 1)], Status.STALL),
    "first commit seen inside the window, offset unchanged: STALL": (
        [obs(4, 6, commit_at=None), obs(4, 6, commit_at=NOW - 1)], Status.STALL),
    "no commit for longer than stop_after while lagging: STOP": (
        [obs(4, 6, commit_at=NOW - 61), obs(4, 6, commit_at=NOW - 61)], Status.STOP),
    "STOP beats STALL and WARN": (
        [obs(1, 6, commit_at=NOW - 100), obs(2, 9, commit_at=NOW - 61)], Status.STOP),
    "STOP needs only one observation": ([obs(4, 6, commit_at=NOW - 61)], Status.STOP),
    "partition with no commit yet and messages waiting: STOP": ([obs(None, 3, commit_at=None)], Status.STOP),
    "partition with no commit yet, empty: OK": ([obs(None, 0, commit_at=None)], Status.OK),
    "offset went back: REWIND": ([obs(5, 5), obs(2, 8)], Status.REWIND),
    "REWIND beats STOP": ([obs(5, 5, commit_at=NOW - 500), obs(2, 8, commit_at=NOW - 500)], Status.REWIND),
    "rewind to caught up is OK (rule 1 first)": ([obs(5, 5), obs(2, 0)], Status.OK),
    "a rewind anywhere in the window counts": ([obs(5, 5), obs(3, 7), obs(4, 6), obs(5, 5)], Status.REWIND),
}


@pytest.mark.parametrize("window,expected", list(CASES.values()), ids=list(CASES))
def test_partition_status(window: list[Observation], expected: Status) -> None:
    assert evaluate(window, T, NOW) is expected


def test_allowed_lag_counts_as_caught_up() -> None:
    window = [obs(4, 2, commit_at=NOW - 500), obs(4, 2, commit_at=NOW - 500)]
    assert evaluate(window, T, NOW) is Status.STOP
    assert evaluate(window, Thresholds(allowed_lag=2, stop_after_s=60.0), NOW) is Status.OK


def test_stop_after_is_a_strict_bound() -> None:
    assert evaluate([obs(4, 6, commit_at=NOW - 60)], T, NOW) is Status.OK
    assert evaluate([obs(4, 6, commit_at=NOW - 60.001)], T, NOW) is Status.STOP


def test_group_takes_its_worst_partition() -> None:
    assert worst([Status.OK, Status.WARN, Status.STALL]) is Status.STALL
    assert worst([Status.STOP, Status.REWIND, Status.OK]) is Status.REWIND
    assert worst([Status.STALL, Status.STOP]) is Status.STOP
    assert worst([]) is Status.OK


@pytest.mark.parametrize(
    "kwargs", [{"window": 0}, {"allowed_lag": -1}, {"stop_after_s": 0}, {"stop_after_s": 100, "commit_lookback_s": 50}]
)
def test_thresholds_refuse_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Thresholds(**kwargs)  # type: ignore[arg-type]
