"""The bodies routing's API answers with, as OpenAPI documents them.

They describe the case and group documents the API has always returned:
outside programs read them, so fields may be added here but never renamed or
removed, and every model keeps fields it does not name (``extra="allow"``),
so a field the store gains reaches clients without a change here. The routes
answer with what is set (``response_model_exclude_unset``): a body is exactly
the document, never padded with nulls.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# The parts of a case are the domain's own models (``domain.case``: extra="allow" as here), so the
# API documents exactly what is stored; only the top level is loose here (every field optional: a
# list shows any stored case, a summary leaves the timeline out).
from .domain.case import Approval, Deadlines, LevelChange, Pause, Warranty, WorkOrder

__all__ = ["Approval", "Case", "CaseSummary", "Deadlines", "Group", "LevelChange", "Pause", "Warranty", "WorkOrder"]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class CaseSummary(_Open):
    """A case as lists show it: everything but its timeline."""

    id: str = Field(alias="_id")
    status: str
    kind: str | None = None
    category: str | None = None
    urgent_flags: list[str] | None = None
    customer_id: str | None = None
    channel: str | None = None
    project: str | None = None
    building: str | None = None
    unit: str | None = None
    handover_date: datetime | None = None
    subject: str | None = Field(None, description="the owner's words (masked for roles that do not see PII)")
    body: str | None = Field(None, description="the owner's words (masked for roles that do not see PII)")
    warranty: Warranty | None = None
    department: str | None = None
    assignment_rule: str | None = None
    assignee: str | None = None
    level: int | None = Field(None, description="complaint level 1-3; 0 or null for other cases")
    escalations: list[LevelChange] | None = None
    deadlines: Deadlines | None = None
    pauses: list[Pause] | None = None
    overdue: list[str] | None = None
    opened_at: datetime | None = None
    responded_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    correlation_id: str | None = None
    opened_event_id: str | None = None
    contacts: list[str] | None = None
    approvals: list[Approval] | None = None
    group_id: str | None = None
    work_order: WorkOrder | None = None
    rev: int | None = None


class Case(CaseSummary):
    """One case with its timeline: the audit trail of every transition, note and decision."""

    timeline: list[dict[str, Any]] | None = None


class Group(_Open):
    """A group complaint (群诉): many owners of one project or building about the same problem."""

    id: str = Field(alias="_id")
    key: str | None = None
    project: str | None = None
    building: str | None = None
    category: str | None = None
    lead_case_id: str | None = None
    members: list[str] | None = Field(None, description="case ids")
    customers: list[str] | None = Field(None, description="customer ids")
    active: bool | None = None
    level: int | None = None
    created_at: datetime | None = None
    last_member_at: datetime | None = None
