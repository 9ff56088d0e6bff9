"""The bodies the dashboard's API answers with, as OpenAPI documents them.

They describe what the page (and any other reader) has always received, so
fields may be added but never renamed or removed; every model keeps fields it
does not name (``extra="allow"``), and the case routes answer with what is set
(``response_model_exclude_unset``), never padding a body with nulls.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Me(_Open):
    name: str
    role: str
    department: str | None = None
    sees_all: bool = Field(description="sees every department (the center's roles)")


class DashboardCase(_Open):
    """A case as the read model knows it (the dashboard's projection of routing's events)."""

    id: str = Field(alias="_id")
    customer_id: str | None = None
    kind: str | None = None
    category: str | None = None
    channel: str | None = None
    project: str | None = None
    building: str | None = None
    unit: str | None = None
    urgent_flags: list[str] | None = None
    opened_at: datetime | None = None
    department: str | None = None
    assignee: str | None = None
    level: int | None = None
    status: str | None = None
    respond_by: datetime | None = None
    resolve_by: datetime | None = None
    responded_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    escalations: list[dict[str, Any]] | None = None
    group_id: str | None = None
    answers: list[dict[str, Any]] | None = None
    summary: str | None = Field(None, description="one line about the case (masked for roles that do not see PII)")


class LateCase(DashboardCase):
    overdue: list[str] = Field(description="the deadlines missed: respond and/or resolve")


class Counts(_Open):
    cases: int
    open: int
    overdue: int
    escalated_open: int
    groups: int
    by_status: dict[str, int]


class DepartmentLoad(_Open):
    department: str
    total: int
    levels: dict[str, int] = Field(description="open cases by complaint level, \"0\" to \"3\"")


class GroupMember(_Open):
    case_id: str
    customer_id: str | None = None
    department: str | None = None
    status: str | None = None
    unit: str | None = None


class GroupView(_Open):
    group_id: str
    lead_case_id: str
    project: str | None = None
    building: str | None = None
    category: str | None = None
    summary: str | None = None
    level: int
    escalated_at: datetime | None = None
    members: list[GroupMember]
    open: int


class Summary(_Open):
    at: datetime
    counts: Counts
    open_by_department: list[DepartmentLoad]
    overdue: list[LateCase]
    groups: list[GroupView]
    projects: list[str]
    departments: list[str]


class GroupLag(_Open):
    group: str
    status: str = Field(description="OK, WARN, STALL, STOP or REWIND")
    total_lag: int
    max_lag_seconds: float
    partitions: int


class Lag(_Open):
    at: datetime | None = Field(description="the latest sample; null before the first")
    groups: list[GroupLag]
