"""``complaint.escalated``: a complaint reached a new level."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, Field

from .envelope import DerivedEvent


class EscalationReason(StrEnum):
    SLA_BREACH = "sla_breach"
    GROUP_COMPLAINT = "group_complaint"
    REPEAT_COMPLAINT = "repeat_complaint"
    DISSATISFIED_RETURN_VISIT = "dissatisfied_return_visit"
    URGENT_KEYWORD = "urgent_keyword"
    VIP = "vip"
    MANUAL = "manual"


class ApproverRole(StrEnum):
    CS_MANAGER = "cs_manager"
    CS_GENERAL_MANAGER = "cs_general_manager"


class ComplaintEscalated(DerivedEvent):
    """Key: ``case_id``."""

    def kafka_key(self) -> str:
        return self.case_id

    case_id: str
    level: Literal[1, 2, 3]
    previous_level: Literal[0, 1, 2, 3]
    reason: EscalationReason
    approver_role: ApproverRole
    project: str
    building: str | None = None
    department: str
    summary: str
    respond_by: AwareDatetime
    resolve_by: AwareDatetime
    related_case_ids: list[str] = Field(default_factory=list)
