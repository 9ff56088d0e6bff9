"""Pacing a campaign: at most ``rate_per_minute`` surveys, evenly spaced, whatever the number of instances.

Each survey of a campaign gets a send slot, one every ``60 / rate`` seconds, and is
published at its slot. Slots are handed out in claims (a batch of ``horizon``
seconds' worth) recorded in the campaign, so instances share one sequence of slots
and a restart carries on from it. A claim never starts in the past: after a pause,
a restart or a slow instance the campaign resumes from now instead of catching up
in a burst, so no window ever sees more than the rate allows (plus one).

Claims are made ``ahead`` of their first slot, so that the claimant has stored the
batch before its slots come; a campaign that starts (or resumes) gets its first slot
``ahead / 2`` from now for the same reason. Consecutive claims may be published by
different instances: a ``guard`` between them keeps one instance's late end of a batch
from overlapping the next instance's punctual start.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Claim:
    start: int  # index of the first owner
    count: int
    first_slot: datetime
    spacing: timedelta

    def slot(self, i: int) -> datetime:
        """The send time of the ``i``-th survey of this claim."""
        return self.first_slot + self.spacing * i

    @property
    def next_slot(self) -> datetime:
        return self.slot(self.count)


HEADROOM = 1.01  # slots 1% wider than the rate: a survey published a few ms late never pushes a window over


def spacing(rate_per_minute: float) -> timedelta:
    """The time between two slots: the rate's, plus the headroom."""
    if rate_per_minute <= 0:
        raise ValueError("a rate must be positive")
    return timedelta(seconds=60.0 / rate_per_minute * HEADROOM)


def next_claim(
    cursor: int, total: int, next_slot_at: datetime | None, now: datetime, rate_per_minute: float,
    horizon: timedelta, ahead: timedelta, guard: timedelta = timedelta(0),
) -> Claim | None:
    """The next batch to claim, or None when the slots claimed so far reach beyond ``now + ahead`` or all are out."""
    if cursor >= total:
        return None
    if next_slot_at is not None and next_slot_at > now + ahead:
        return None
    gap = spacing(rate_per_minute)
    earliest = now + ahead / 2
    first = earliest if next_slot_at is None or next_slot_at + guard < earliest else next_slot_at + guard
    count = min(total - cursor, max(1, math.floor(horizon / gap)))
    return Claim(cursor, count, first, gap)


def paced_elsewhere(batch_by: str | None, instance: str, next_slot_at: datetime | None, now: datetime,
                    horizon: timedelta) -> bool:
    """Whether another instance paces the campaign: it claimed the last batch and its slots (plus a horizon of
    slack) have not yet run out. One instance paces a campaign at a time; another takes over when it stops."""
    return (batch_by not in (None, instance) and next_slot_at is not None
            and now < next_slot_at + horizon)
