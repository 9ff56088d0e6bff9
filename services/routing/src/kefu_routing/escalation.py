"""Raising a case's complaint level: the one change every escalation path shares.

Whatever the reason (missed deadline, repeat, group, dissatisfied owner, VIP,
keyword, a manager's decision), the case gets its new level, new deadlines
counted from now, an entry in its escalation record and its timeline, and a
``complaint.escalated`` event naming who must approve the handling plan.
"""

from __future__ import annotations

from datetime import datetime

from kefu_contracts import Event

from .context import Routing
from .domain.case import Case, Deadlines, Escalated, LevelChange
from .domain.complaints import approver_for
from .events import complaint_escalated


def raise_level(
    case: Case, new_level: int, reason: str, r: Routing, now: datetime, cause: str, actor: str,
    related: list[str] | None = None, publish: bool = True,
) -> list[Event]:
    """Apply a level change to ``case`` in place; the events it owes (none when the level does not rise)."""
    previous = case.level or 0
    if new_level <= previous:
        return []
    case.level = new_level
    case.deadlines = Deadlines.of(r.deadlines(case.id, case.kind, new_level, case.urgent_flags, now))
    case.escalations.append(LevelChange(from_level=previous, to_level=new_level, reason=reason, at=now, actor=actor,
                                        cause=cause, approver_role=approver_for(new_level)))
    case.timeline.append(Escalated(at=now, type="escalated", from_level=previous, to_level=new_level, reason=reason,
                                   actor=actor))
    if not publish:
        return []
    return [complaint_escalated(case, previous, reason, now, cause, related)]
