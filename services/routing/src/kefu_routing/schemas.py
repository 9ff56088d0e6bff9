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


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Deadlines(_Open):
    respond_by: datetime | None = None
    resolve_by: datetime | None = None
    rule: str | None = None
    reason: str | None = Field(None, description="why the deadlines are what they are")
    missing_years: list[int] | None = None


class Approval(_Open):
    id: str
    kind: str = Field(description="plan or cost")
    status: str = Field(description="pending, approved or rejected")
    required_role: str | None = Field(None, description="the lowest role that may decide it")
    plan: str | None = None
    amount: str | None = Field(None, description="CNY, decimal string")
    requested_by: str | None = None
    requested_at: datetime | None = None
    decided_by: str | None = None
    decided_role: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None


class WorkOrder(_Open):
    id: str | None = None
    status: str | None = Field(None, description="open, started or completed")
    progress: list[dict[str, Any]] | None = None
    cost: str | None = Field(None, description="CNY, decimal string, once completed")
    started_at: datetime | None = None
    completed_at: datetime | None = None
    notes: str | None = None


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
    warranty: dict[str, Any] | None = None
    department: str | None = None
    assignment_rule: str | None = None
    assignee: str | None = None
    level: int | None = Field(None, description="complaint level 1-3; 0 or null for other cases")
    escalations: list[dict[str, Any]] | None = None
    deadlines: Deadlines | None = None
    pauses: list[dict[str, Any]] | None = None
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
