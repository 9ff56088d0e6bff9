"""Batch-defect signals (``defect.batch_suspected``): many owners of one building, the same in-unit repair.

Three owners asking for their own kitchen tap is no group complaint (``domain.groups``), but it may be
one bad batch of taps: engineering hears of it once per building and category per window, and nothing
is escalated. Per building and category: read its recent repairs and its signals once, decide in pure
code (``find_batch_defects``), create each new signal once (its id derives from the building, category
and first report, so a redelivered batch finds it and publishes nothing new).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kefu_contracts import derived_event_id

from .context import Routing
from .domain.case import Case
from .domain.complaints import group_key
from .domain.groups import BatchDefect, find_batch_defects, suspects_batch
from .events import defect_batch_suspected
from .refs import case_ref, report_ref


def batch_key(case: Case, r: Routing) -> str | None:
    """``project|building|category`` of an in-unit repair that may be one of a batch; None for any other case."""
    ref = case_ref(case)
    return group_key(ref) if suspects_batch(ref, r.group_rule) else None


async def signal_batch_defects(cases: list[Case], r: Routing, now: datetime) -> list[dict[str, Any]]:
    """The signals ``cases`` (in-unit repairs of ONE building and category) complete, each created once."""
    return await create_signals(await new_signals(cases, r, now), r)


async def new_signals(cases: list[Case], r: Routing, now: datetime) -> list[tuple[dict[str, Any], list[Any]]]:
    """The signals ``cases`` (in-unit repairs of ONE building and category) complete, with their events:
    decided on one read of the building's recent repairs and one of its signals, not yet stored."""
    if not cases:
        return []
    refs = [case_ref(c) for c in cases]
    key = group_key(refs[0])
    assert key is not None and all(group_key(ref) == key for ref in refs), "one building and category at a time"
    window = r.group_rule.batch_window
    first, last = min(ref.opened_at for ref in refs), max(ref.opened_at for ref in refs)
    first_case = cases[0]
    assert first_case.project and first_case.building and first_case.category  # they make the key
    recent = await r.reports.in_building(first_case.project, first_case.building, first_case.category,
                                         ["repair"], first - window)
    # a burst's first report is at most one window before its newest; a signal counts within one window of it
    signalled = await r.signals.starts_between(key, first - 2 * window, last + window)
    found = find_batch_defects(refs, [report_ref(doc) for doc in recent], signalled, r.group_rule)
    by_id = {c.id: c for c in cases}
    out = []
    for defect in found:
        lead = by_id.get(defect.lead.case_id) or await r.cases.get_case(defect.lead.case_id)
        assert lead is not None, "a recent report's case exists (reports are added after their case)"
        state = _signal(key, defect, r, now)
        out.append((state, [defect_batch_suspected(state, lead, now)]))
    return out


async def create_signals(new: list[tuple[dict[str, Any], list[Any]]], r: Routing) -> list[dict[str, Any]]:
    """Store ``new`` signals (of any buildings) in one ``create_many``: each once (its id derives from its
    building, category and first report, so a redelivered batch finds it and publishes nothing new)."""
    if not new:
        return []
    return [signal for signal, _ in await r.signals.create_many(new)]


def _signal(key: str, defect: BatchDefect, r: Routing, now: datetime) -> dict[str, Any]:
    members = defect.members
    return {"_id": derived_event_id("defect.batch", key, defect.lead.case_id), "key": key,
            "project": defect.project, "building": defect.building, "category": defect.category,
            "case_ids": [m.case_id for m in members], "customers": sorted({m.customer_id for m in members}),
            "first_reported_at": members[0].opened_at, "last_reported_at": max(m.opened_at for m in members),
            "window_days": r.group_rule.batch_window.total_seconds() / 86400, "created_at": now}
