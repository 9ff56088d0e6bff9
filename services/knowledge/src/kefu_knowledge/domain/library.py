"""The case library (案例库): closed cases, stripped of who and where, as examples of how problems were solved.

What the case events say about a case is merged into its facts (``facts_from_*``). A case becomes an
entry once it is closed and both its problem (``case.opened``) and its resolution are known; the
resolution is the optional ``resolution`` of ``case.status_changed`` when routing sends it, else the
note given when the case was resolved (or, lacking one, when it was closed).

An entry starts as a ``candidate``; the supervisor promotes it (search ranks it higher), edits it or
retires it (search leaves it out). A case closed again after a reopening updates its entry while the
supervisor has not touched it; a curated entry is theirs and stays as they left it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .strip import strip_text

CANDIDATE, PROMOTED, RETIRED = "candidate", "promoted", "retired"
MACHINE = "events"


def facts_from_opened(event: Any) -> dict[str, Any]:
    problem = " ".join(p for p in (event.subject, event.body) if p)
    facts = {"problem": problem, "kind": event.kind.value if hasattr(event.kind, "value") else event.kind,
             "project": event.project, "building": event.building, "unit": event.unit}
    if event.category:
        facts["category"] = event.category
    return {k: v for k, v in facts.items() if v is not None}


def facts_from_status(event: Any) -> dict[str, Any]:
    status = getattr(event.status, "value", event.status)
    facts: dict[str, Any] = {"kind": getattr(event.kind, "value", event.kind), "department": event.department,
                             "status": status}
    for key in ("category", "project", "building", "unit"):
        if getattr(event, key, None):
            facts[key] = getattr(event, key)
    resolution = (getattr(event, "resolution", None) or "").strip()
    note = (event.note or "").strip()
    if resolution:
        facts["resolution"] = resolution
    elif status == "resolved" and note:
        facts["resolution"] = note
    if status == "closed":
        facts["closed"] = True
        facts["closed_at"] = event.occurred_at
        if note:
            facts["close_note"] = note
    elif status == "reopened":
        facts["closed"] = False
    return facts


def entry_from(facts: dict[str, Any], now: datetime) -> dict[str, Any] | None:
    """The library entry a case's facts make, stripped; None until the case is closed with a resolution."""
    resolution = facts.get("resolution") or facts.get("close_note")
    if not facts.get("closed") or not facts.get("problem") or not resolution:
        return None
    building, unit = facts.get("building"), facts.get("unit")
    return {"_id": facts["_id"], "case_id": facts["_id"], "kind": facts.get("kind"),
            "category": facts.get("category"), "department": facts.get("department"),
            "project": facts.get("project"),
            "problem": strip_text(facts["problem"], building, unit),
            "resolution": strip_text(resolution, building, unit),
            "status": CANDIDATE, "version": 1, "created_at": now, "updated_at": now, "updated_by": MACHINE,
            "closed_at": facts.get("closed_at")}


def refreshed(entry: dict[str, Any], made: dict[str, Any], now: datetime) -> dict[str, Any] | None:
    """The entry after its case closed again, or None: nothing new, or the supervisor has curated it."""
    if entry.get("updated_by") != MACHINE or entry.get("status") != CANDIDATE:
        return None
    if all(entry.get(k) == made.get(k) for k in ("problem", "resolution", "category", "department", "project")):
        return None
    return {**entry, **{k: made.get(k) for k in ("problem", "resolution", "category", "department", "project",
                                                  "closed_at")},
            "version": entry["version"] + 1, "updated_at": now}


def curated(entry: dict[str, Any], change: dict[str, Any], editor: str, now: datetime,
            status: str | None = None) -> dict[str, Any]:
    """The entry after the supervisor's edit (text stripped again: a person can paste a number too)."""
    after = dict(entry)
    for key in ("problem", "resolution"):
        if change.get(key) is not None:
            after[key] = strip_text(change[key])
    if change.get("category") is not None:
        after["category"] = change["category"]
    if status is not None:
        after["status"] = status
    after.update(version=entry["version"] + 1, updated_at=now, updated_by=editor)
    return after
