"""``complaint.escalated``: a complaint reached a new level; ``complaint.group_changed``: a group complaint's members."""

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
    sla_reason: str | None = Field(
        default=None, description="how the deadlines were counted; flags a year without public holiday data")
    related_case_ids: list[str] = Field(default_factory=list)


class ComplaintGroupChanged(DerivedEvent):
    """A group complaint (群诉) was formed or gained a member. Key: ``group_id``. (kefu extension.)

    The group is escalated once (``complaint.escalated`` on its lead case, reason
    ``group_complaint``); its members take the group's level without escalations
    of their own. This event names them all, each time one joins, so that a
    read model (the dashboard) knows every member and its level.
    """

    def kafka_key(self) -> str:
        return self.group_id

    group_id: str
    lead_case_id: str
    project: str
    building: str | None = None
    category: str | None = None
    level: Literal[1, 2, 3]
    member_case_ids: list[str] = Field(min_length=1, description="every member so far, the lead included")
    owners: int = Field(ge=1, description="how many different owners complained")
    last_member_at: AwareDatetime = Field(description="when the latest member's contact was made")
