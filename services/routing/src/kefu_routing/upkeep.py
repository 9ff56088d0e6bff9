"""Routing's periodic upkeep: what keeps the collections that would only grow bounded.

Run by the composition root through ``kit.every``; each step is idempotent and any
instance may run it (a second instance doing the same step finds nothing left).
"""

from __future__ import annotations

from datetime import datetime

from . import reactions
from .context import Routing


async def fire_due_timers(r: Routing, now: datetime) -> int:
    """Fire the deadlines that passed; each fired timer is deleted, so the due query reads only pending ones."""
    due = await r.timers.due(now)
    for timer in due:
        await reactions.fire_timer(timer, r, now)
    return len(due)


async def close_ended_groups(r: Routing, now: datetime) -> int:
    """Close group complaints whose window ended: nobody can join them, so they leave the active set."""
    return await r.groups.close_ended(now - r.group_policy.window, now)


async def prune_reports(r: Routing, now: datetime) -> int:
    """Forget recent reports older than every look-back window (repeat and group complaints, batch defects)."""
    return await r.reports.prune(now - max(r.repeat_window, r.group_policy.window, r.group_rule.batch_window))
