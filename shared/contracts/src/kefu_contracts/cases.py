"""Case events published by intake (``case.opened``) and routing (``case.assigned``)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, Field, StringConstraints

from .calls import Channel, ContactKind
from .envelope import DerivedEvent

Id = Annotated[str, StringConstraints(min_length=1, max_length=128)]


class CaseOpened(DerivedEvent):
    """Intake opened a case for a contact. Key: ``case_id``."""

    def kafka_key(self) -> str:
        return self.case_id

    case_id: Id
    contact_id: Id = Field(description="event_id of the call.received that opened the case")
    customer_id: Id
    channel: Channel
    kind: ContactKind
    classified_by: str = Field(description="'agent' when the channel classified it, else 'rules'")
    category: str | None = Field(default=None, description="repair/defect category, when known")
    urgent_flags: list[str] = Field(default_factory=list)
    project: str | None = None
    building: str | None = None
    unit: str | None = None
    element: str | None = Field(
        default=None, max_length=64,
        description="the building element the case is about, when the channel or agent knows it "
                    "(elevator, roof, exterior_wall, garage, water_pressure...): a shared one makes owners' "
                    "repairs one group complaint's problem")
    handover_date: datetime | None = Field(default=None, description="when the unit was handed over, if known")
    subject: str | None = None
    body: str
    agent_id: str | None = None


class CaseAssigned(DerivedEvent):
    """Routing gave a case to a department (and a person in it). Key: ``case_id``."""

    def kafka_key(self) -> str:
        return self.case_id

    case_id: Id
    department: Id
    assignee: str | None = None
    kind: ContactKind
    category: str | None = None
    project: str | None = None
    building: str | None = None
    summary: str = Field(description="one line for a dashboard or an inbox")
    respond_by: AwareDatetime | None = None
    resolve_by: AwareDatetime | None = None
    sla_reason: str | None = Field(
        default=None, description="how the deadlines were counted; flags a year without public holiday data")
    rule: str = Field(description="the routing rule that chose the department")
    under_warranty: bool | None = Field(default=None, description="repairs: paid by the developer under warranty")
    warranty_reason: str | None = None
    level: int | None = Field(default=None, description="complaints: the complaint level (1-3) at assignment")


class CaseFollowedUp(DerivedEvent):
    """A new contact about a problem that already has an open case (one case per problem). Key: ``case_id``."""

    def kafka_key(self) -> str:
        return self.case_id

    case_id: Id
    contact_id: Id = Field(description="event_id of the call.received that followed up")
    customer_id: Id
    channel: Channel
    kind: ContactKind = Field(description="the kind of the follow-up contact itself (a complaint about a repair...)")
    urgent_flags: list[str] = Field(default_factory=list)
    subject: str | None = None
    body: str


class CaseStatus(StrEnum):
    OPENED = "opened"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    WAITING_ON_OWNER = "waiting_on_owner"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"


class CaseStatusChanged(DerivedEvent):
    """A case moved in its lifecycle (each transition is one event and one timeline entry). Key: ``case_id``."""

    def kafka_key(self) -> str:
        return self.case_id

    case_id: Id
    customer_id: Id
    status: CaseStatus
    previous_status: CaseStatus | None = None
    actor: str = Field(description="who did it: a staff id, 'system' or a service")
    note: str | None = None
    kind: ContactKind
    category: str | None = None
    department: str
    assignee: str | None = None
    project: str | None = None
    building: str | None = None
    unit: str | None = None
    level: int | None = None
    respond_by: AwareDatetime | None = None
    resolve_by: AwareDatetime | None = None
    sla_reason: str | None = Field(
        default=None, description="how the deadlines were counted; flags a year without public holiday data")
    resolution: str | None = Field(
        default=None,
        description="how the problem was solved, as recorded when the case was resolved; on resolved and closed "
                    "transitions (the case library is made of closed cases and their resolutions)")
