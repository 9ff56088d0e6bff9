"""Handover dates (交付) from the property register: a unit's own date, else its building's, else its project's."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def register_key(project: str, building: str | None = None, unit: str | None = None) -> str:
    return f"{project}|{building or ''}|{unit or ''}"


def handover_for(register: dict[str, datetime], prop: dict[str, Any] | None) -> datetime | None:
    """The most specific handover date the register has for ``prop``."""
    if not prop or not prop.get("project"):
        return None
    project, building, unit = prop["project"], prop.get("building"), prop.get("unit")
    for key in (register_key(project, building, unit), register_key(project, building), register_key(project)):
        if key in register:
            return register[key]
    return None
