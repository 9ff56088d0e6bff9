"""Burrow's consumer lag evaluation, pure: a window of observations in, a status out.

No Kafka here, so every rule is tested on plain data (tests/unit/kit/test_lag_evaluation.py).
The rules follow LinkedIn Burrow's evaluator (``calculatePartitionStatus``), checked in
Burrow's order; the differences are deliberate and listed in docs/lag.md:

- the window holds one observation per ``LagMonitor.sample()``, not one per commit;
- "caught up" is ``lag <= allowed_lag`` (Burrow: ``lag == 0``, our default);
- STOP is "no commit for longer than ``stop_after_s``" (Burrow compares the silence with the
  window's own length), because operations want a bound they can state in minutes;
- STALL needs proof that the group still commits: a newer commit time at the end of the
  window than at its start (Burrow's window only grows on commits, so it has that proof built in).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    """A partition's or a group's health, from best to worst (see ``SEVERITY``)."""

    OK = "OK"
    WARN = "WARN"  # lag never decreased over the window: slower than the producers, or paused (not yet STOP)
    STALL = "STALL"  # the group commits, but always the same offset, while messages wait
    STOP = "STOP"  # no commit for longer than stop_after_s while messages wait
    REWIND = "REWIND"  # the committed offset went back (a reset, or a consumer replaying)


# Burrow's order of evaluation is its order of severity: the worst partition is the group's status.
SEVERITY: dict[Status, int] = {Status.OK: 0, Status.WARN: 1, Status.STALL: 2, Status.STOP: 3, Status.REWIND: 4}


@dataclass(frozen=True)
class Thresholds:
    """What the evaluation tolerates; the defaults are documented in docs/lag.md.

    ``window``: observations kept per partition (Burrow's ``intervals``, default 10; with one
    sample every 30 s that is five minutes). ``allowed_lag``: a lag at or below this many
    messages counts as caught up (Burrow: 0). ``stop_after_s``: a lagging partition whose group
    has not committed it for longer than this is STOP. ``commit_lookback_s``: how far back the
    sampler reads ``__consumer_offsets`` at start; it is never less than ``stop_after_s``, since a
    commit older than the lookback only needs to be known as "older than stop_after_s".
    """

    window: int = 10
    allowed_lag: int = 0
    stop_after_s: float = 300.0
    commit_lookback_s: float = 3600.0

    def __post_init__(self) -> None:
        if self.window < 1:
            raise ValueError("window must hold at least one observation")
        if self.allowed_lag < 0 or self.stop_after_s <= 0:
            raise ValueError("allowed_lag must be >= 0 and stop_after_s > 0")
        if self.commit_lookback_s < self.stop_after_s:
            raise ValueError("commit_lookback_s must be at least stop_after_s")


@dataclass(frozen=True)
class Observation:
    """One look at one partition of one group.

    ``committed`` is None when the group has no committed offset there yet; ``lag`` then counts
    from the start of the log (kefu's consumers start at the earliest offset). ``last_commit_at``
    is the commit time recorded by the broker in ``__consumer_offsets`` (epoch seconds), None when
    no commit of this partition was seen within the lookback.
    """

    at: float
    committed: int | None
    end: int
    lag: int
    lag_seconds: float
    last_commit_at: float | None


def evaluate(window: Sequence[Observation], thresholds: Thresholds, now: float) -> Status:
    """The status of one partition given its recent observations (oldest first)."""
    if not window or any(o.lag <= thresholds.allowed_lag for o in window):
        return Status.OK  # Burrow's rule 1: caught up at some point in the window
    if _rewound(window):
        return Status.REWIND
    if _stopped(window[-1], thresholds, now):
        return Status.STOP
    if _stalled(window):
        return Status.STALL
    if _lag_never_decreased(window):
        return Status.WARN
    return Status.OK


def worst(statuses: Sequence[Status]) -> Status:
    """The group's status: its worst partition (OK for a group with no partition)."""
    return max(statuses, key=SEVERITY.__getitem__, default=Status.OK)


def _rewound(window: Sequence[Observation]) -> bool:
    offsets = [o.committed for o in window if o.committed is not None]
    return any(later < earlier for earlier, later in zip(offsets, offsets[1:]))


def _stopped(last: Observation, thresholds: Thresholds, now: float) -> bool:
    return last.last_commit_at is None or now - last.last_commit_at > thresholds.stop_after_s


def _stalled(window: Sequence[Observation]) -> bool:
    if len(window) < 2 or len({o.committed for o in window}) != 1:
        return False
    first, last = window[0].last_commit_at, window[-1].last_commit_at
    return last is not None and (first is None or last > first)  # it committed again, same offset


def _lag_never_decreased(window: Sequence[Observation]) -> bool:
    lags = [o.lag for o in window]
    return len(lags) >= 2 and all(later >= earlier for earlier, later in zip(lags, lags[1:]))
