"""Quiet hours (免打扰时段): owners are not messaged at night unless it is urgent.

A non-urgent owner message that falls inside quiet hours waits until they end:
delayed, never dropped. The window is wall-clock time in a time zone (Asia/Shanghai
by default), may cross midnight (21:00-08:00) and is given to the second so that
drills and tests can open and close one within a few seconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


@dataclass(frozen=True)
class QuietHours:
    """From ``start`` (inclusive) to ``end`` (exclusive), wall-clock time in ``zone``."""

    start: time
    end: time
    zone: ZoneInfo

    def __post_init__(self) -> None:
        if self.start == self.end:
            raise ValueError("quiet hours must start and end at different times (leave them unset for none)")


def parse_quiet_hours(window: str, zone: str) -> QuietHours | None:
    """``"21:00-08:00"`` (or ``"HH:MM:SS-HH:MM:SS"``) in ``zone``; an empty window means no quiet hours."""
    if not window.strip():
        return None
    parts = window.split("-")
    if len(parts) != 2:
        raise ValueError(f"quiet hours must look like 21:00-08:00, got {window!r}")
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {zone!r}") from None
    return QuietHours(_clock(parts[0]), _clock(parts[1]), tz)


def _clock(text: str) -> time:
    m = _CLOCK.match(text.strip())
    if not m:
        raise ValueError(f"{text!r} is not a time of day (HH:MM or HH:MM:SS)")
    hour, minute, second = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"{text!r} is not a time of day")
    return time(hour, minute, second)


def send_at(now: datetime, quiet: QuietHours | None, urgent: bool) -> datetime:
    """When a message that is ready at ``now`` may go out: ``now``, or the end of the quiet hours it falls in.

    ``now`` must be time-zone aware; the answer is in ``now``'s zone.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("send_at needs an aware datetime")
    if urgent or quiet is None:
        return now
    local = now.astimezone(quiet.zone)
    clock = local.time().replace(tzinfo=None)
    today = local.date()
    if quiet.start < quiet.end:  # within one day, e.g. 12:00-14:00
        if not (quiet.start <= clock < quiet.end):
            return now
        end_day = today
    elif clock >= quiet.start:  # crosses midnight, evening part: ends tomorrow
        end_day = today + timedelta(days=1)
    elif clock < quiet.end:  # crosses midnight, morning part: ends today
        end_day = today
    else:
        return now
    end = datetime.combine(end_day, quiet.end, tzinfo=quiet.zone)
    return max(end, now).astimezone(now.tzinfo)
