"""A case as routing keeps it: one typed model, read from its stored document and written back to it.

Cases are stored as documents (``kefu_kit.aggregates``: a snapshot, and revisions that
record what each change did to the document). The domain and the use cases work on
``Case``: typed fields, and typed parts (deadlines, warranty, work order, approvals,
escalations, pauses, timeline entries), so a field renamed in one place is renamed in
all, and the API documents the very same parts (``schemas``). The case repository
converts at its edge (``adapters.store.CaseRepository``): a document becomes a ``Case``
once when it is read, and a ``Case`` a document once when it is written.

Reading and writing must not change a document. A revision is the difference between
the document read and the document written, so a key added as null, a value of another
type (1.0 for 1) or a moved date would be recorded as a change nobody made. So:

* nothing converts a value on the way in (no validators; every type is the one the
  document has always held), so dates keep their value and zone;
* ``to_doc`` writes the keys the document had and those a change set, no others
  (pydantic's ``exclude_unset``): a key an older case lacks (``element``, ``resolution``,
  ``awaiting_approval``, a deadline's ``reason``) stays absent until a change sets it;
* keys nobody declared survive (``extra="allow"``), and the document's key order is kept.

The other side of the same rule, for code that makes parts: a field left out of a
constructor is left out of the document. New parts are given every field they were
always stored with (``None`` included), as the dict literals before them were.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, PrivateAttr, Tag

from .sla import Deadlines as Due


class Part(BaseModel):
    """A stored (sub)document: unknown keys kept, fields also settable by name where the key is an alias."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


# ---- the case's parts (also the API's: ``schemas`` uses them, so descriptions live here) ----

class Deadlines(Part):
    respond_by: datetime
    resolve_by: datetime
    rule: str = Field(description="the SLA rule that set them")
    reason: str = Field("", description="why the deadlines are what they are")
    missing_years: list[int] = Field(default_factory=list, description=(
        "years counted across without public holiday data (weekdays only)"))

    @classmethod
    def of(cls, due: Due) -> Deadlines:
        """The stored form of deadlines the SLA table computed (``sla.Deadlines.stored``)."""
        return cls.model_validate(due.stored())

    def due(self, which: str) -> datetime:
        """``respond`` or ``resolve``: when that deadline is."""
        return self.respond_by if which == "respond" else self.resolve_by


class Warranty(Part):
    under_warranty: bool | None = Field(None, description="null: the handover date is unknown")
    expires_on: str | None = Field(None, description="the last day covered (ISO date)")
    reason: str = ""
    rule: str = ""


class LevelChange(Part):
    """One raise of a case's complaint level (``escalation.raise_level``)."""

    from_level: int = Field(alias="from")
    to_level: int = Field(alias="to")
    reason: str
    at: datetime
    actor: str
    cause: str = Field(description="the event or command that raised it")
    approver_role: str = Field(description="who approves the handling plan at the new level")


class Pause(Part):
    """Time waiting on the owner (it does not count against the deadlines); ``end``: null while waiting."""

    start: datetime
    end: datetime | None = None


class Approval(Part):
    id: str
    kind: str = Field(description="plan or cost")
    status: str = Field(description="pending, approved or rejected")
    required_role: str = Field(description="the lowest role that may decide it")
    plan: str | None = None
    amount: str | None = Field(None, description="CNY, decimal string")
    requested_by: str
    requested_at: datetime
    decided_by: str | None = None
    decided_role: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None


class WorkOrderProgress(Part):
    at: datetime
    note: str
    by: str


class WorkOrder(Part):
    id: str
    status: str = Field(description="open, started or completed")
    progress: list[WorkOrderProgress]
    cost: str | None = Field(None, description="CNY, decimal string, once completed")
    started_at: datetime | None = None
    completed_at: datetime | None = None
    notes: str | None = None


# ---- the timeline: one model per kind of entry, its fields in the order they were always written ----
# (an entry's other fields default to unset: history is append-only, written by every version of routing)

class Opened(Part):
    at: datetime
    type: Literal["opened"]
    status: str | None = None
    actor: str | None = None
    contact_id: str | None = None


class Assigned(Part):
    at: datetime
    type: Literal["assigned"]
    status: str | None = None
    actor: str | None = None
    department: str | None = None
    assignee: str | None = None
    rule: str | None = None


class StatusEntry(Part):
    at: datetime
    type: Literal["status"]
    status: str | None = None
    actor: str | None = None
    role: str | None = None
    note: str | None = None


class NoteEntry(Part):
    at: datetime
    type: Literal["note"]
    text: str | None = None
    actor: str | None = None
    role: str | None = None


class WorkOrderEntry(Part):
    at: datetime
    type: Literal["work_order_start", "work_order_progress", "work_order_complete"]
    actor: str | None = None
    note: str | None = None
    cost: str | None = None  # complete only


class ApprovalRequested(Part):
    at: datetime
    type: Literal["approval_requested"]
    approval_id: str | None = None
    kind: str | None = None
    actor: str | None = None


class ApprovalDecided(Part):
    at: datetime
    type: Literal["approval_decided"]
    approval_id: str | None = None
    decision: str | None = None
    actor: str | None = None
    role: str | None = None
    reason: str | None = None


class Escalated(Part):
    at: datetime
    type: Literal["escalated"]
    from_level: int | None = Field(None, alias="from")
    to_level: int | None = Field(None, alias="to")
    reason: str | None = None
    actor: str | None = None
    note: str | None = None  # a manual escalation's


class JoinedGroup(Part):
    at: datetime
    type: Literal["joined_group"]
    group_id: str | None = None
    actor: str | None = None


class FollowUp(Part):
    at: datetime
    type: Literal["follow_up"]
    contact_id: str | None = None
    kind: str | None = None
    channel: str | None = None
    actor: str | None = None


class DeadlineMissed(Part):
    at: datetime
    type: Literal["deadline_missed"]
    which: str | None = None
    due_at: datetime | None = None
    actor: str | None = None


class ReturnVisit(Part):
    at: datetime
    type: Literal["return_visit"]
    survey_id: str | None = None
    csat: int | None = None
    solved: bool | None = None
    actor: str | None = None


class OtherEntry(Part):
    """An entry of a kind this version does not write: kept as it is."""

    at: Any = None
    type: Any = None


_ENTRY_TAGS = {"opened": "opened", "assigned": "assigned", "status": "status", "note": "note",
               "work_order_start": "work_order", "work_order_progress": "work_order",
               "work_order_complete": "work_order", "approval_requested": "approval_requested",
               "approval_decided": "approval_decided", "escalated": "escalated", "joined_group": "joined_group",
               "follow_up": "follow_up", "deadline_missed": "deadline_missed", "return_visit": "return_visit"}


def _entry_tag(entry: Any) -> str:
    kind = entry.get("type") if isinstance(entry, dict) else getattr(entry, "type", None)
    return _ENTRY_TAGS.get(kind, "other") if isinstance(kind, str) else "other"


TimelineEntry = Annotated[
    Annotated[Opened, Tag("opened")] | Annotated[Assigned, Tag("assigned")]
    | Annotated[StatusEntry, Tag("status")] | Annotated[NoteEntry, Tag("note")]
    | Annotated[WorkOrderEntry, Tag("work_order")] | Annotated[ApprovalRequested, Tag("approval_requested")]
    | Annotated[ApprovalDecided, Tag("approval_decided")] | Annotated[Escalated, Tag("escalated")]
    | Annotated[JoinedGroup, Tag("joined_group")] | Annotated[FollowUp, Tag("follow_up")]
    | Annotated[DeadlineMissed, Tag("deadline_missed")] | Annotated[ReturnVisit, Tag("return_visit")]
    | Annotated[OtherEntry, Tag("other")],
    Discriminator(_entry_tag),
]


# ---- the case ----

class Case(Part):
    """One case (``_id``: intake's case id), fields in the order ``opening.new_case`` writes them.

    Required: what every case has had since routing first stored one and what its changes
    and events cannot do without. ``rev`` is the store's revision (0: not stored yet).
    """

    id: str = Field(alias="_id")
    status: str
    kind: str
    category: str | None = None
    urgent_flags: list[str] = Field(default_factory=list)
    customer_id: str
    channel: str | None = None
    project: str | None = None
    building: str | None = None
    unit: str | None = None
    element: str | None = None  # a shared building element, if named (``groups.element_of``)
    handover_date: datetime | None = None
    subject: str | None = None
    body: str
    warranty: Warranty | None = None  # repairs
    department: str
    assignment_rule: str
    assignee: str | None = None
    level: int = 0  # complaint level 1-3; 0 for other cases
    escalations: list[LevelChange] = Field(default_factory=list)
    deadlines: Deadlines
    pauses: list[Pause] = Field(default_factory=list)
    overdue: list[str] = Field(default_factory=list)  # which deadlines were missed
    is_overdue: bool = False  # the indexed form of ``overdue`` for lists (an array's emptiness is not indexable)
    opened_at: datetime
    responded_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    correlation_id: str
    opened_event_id: str
    contacts: list[str] = Field(default_factory=list)
    applied: list[str] = Field(default_factory=list)  # ids of the events and timers applied (idempotence)
    approvals: list[Approval] = Field(default_factory=list)
    group_id: str | None = None
    work_order: WorkOrder | None = None  # repairs
    timeline: list[TimelineEntry] = Field(default_factory=list)
    rev: int = 0
    resolution: str | None = None  # what was done, once resolved (the case library learns it from the event)
    awaiting_approval: bool = False  # an approval is pending (the approvers' inbox)

    _keys: tuple[str, ...] = PrivateAttr(default=())  # the stored document's keys, in its order

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Case:
        """The case a stored document holds (validated here, once)."""
        case = cls.model_validate(doc)
        case._keys = tuple(doc)
        return case

    def to_doc(self) -> dict[str, Any]:
        """The document to store: the one read, with what changed (see the module docstring)."""
        doc = self.model_dump(by_alias=True, exclude_unset=True)
        given = self.model_fields_set
        for name in _GROWABLE:
            # a default list grown in place (``case.escalations.append`` on a case stored without any) is
            # set now, though pydantic saw no assignment; other defaults only change by assignment
            if name not in given and getattr(self, name):
                doc.update(self.model_dump(by_alias=True, include={name}))
        keys = self._keys
        if not keys or tuple(doc) == keys:
            return doc
        ordered = {key: doc[key] for key in keys if key in doc}
        if len(ordered) != len(doc):
            ordered.update(doc)  # keys new to the document, after the ones it had
        return ordered


# The case's fields whose default is an empty list: the ones a change can alter without assigning them.
_GROWABLE = tuple(name for name, info in Case.model_fields.items() if info.default_factory is list)
