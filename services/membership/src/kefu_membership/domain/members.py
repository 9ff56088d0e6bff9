"""A club member as a typed record: who they are, the units they own, where they stand, and why.

A member number is derived from the customer id, not counted: two instances
joining the same owner at once (the API and a handover event, say) compute the
same number, and the unique insert of that member decides who created it.

The member is stored as a document (``members``, an aggregate); the use cases
work on ``Member`` and the store converts at its boundary (``from_doc`` /
``to_doc``). Stored documents stay as they were: ``to_doc`` gives back exactly
the keys a document was read with (a default the document lacked is not added,
a ``None`` it held stays), plus what the code set, and fields this version does
not know ride along untouched (``extra="allow"``), so an older or newer writer's
data survives a change made here.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field

from .tiers import Standing, Tier, full_years

# Fixed forever: changing it would renumber every member.
_MEMBER_NAMESPACE = uuid.UUID("6d1c2a4e-8f0b-5c7d-9e1a-3b4c5d6e7f80")

Source = Literal["application", "handover"]


def member_id_for(customer_id: str) -> str:
    """The member number of a customer: ``M`` and 12 hex digits, the same on every instance and run."""
    return "M" + uuid.uuid5(_MEMBER_NAMESPACE, customer_id).hex[:12].upper()


def property_key(project: str, building: str | None, unit: str | None) -> str:
    """One unit, however it was reported (so a handover after an application adds nothing twice)."""
    return "|".join((project.strip(), (building or "").strip(), (unit or "").strip()))


class _Part(BaseModel):
    """A stored (sub)document: unknown keys kept, and written back with exactly the keys it was given."""

    model_config = ConfigDict(populate_by_name=True, extra="allow")

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Self:
        return cls.model_validate(doc)

    def to_doc(self) -> dict[str, Any]:
        # exclude_unset: a field neither stored nor assigned stays absent (no new None keys), and is
        # applied to the sub-records too; assigning a field (``member.tier = ...``) marks it set
        return self.model_dump(by_alias=True, exclude_unset=True)


class MemberContact(_Part):
    """How to reach the owner, as they gave it (``kefu_contracts.Contact`` without its empty fields)."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None
    wechat_openid: str | None = None


class Property(_Part):
    """A unit the owner owns: declared when applying, or handed over (交付)."""

    project: str
    building: str | None = None
    unit: str | None = None
    handover_date: str | None = Field(None, description="ISO date, for units joined at handover")

    @property
    def key(self) -> str:
        return property_key(self.project, self.building, self.unit)


class TierStep(_Part):
    """One change of tier: when, to what, from what, and the event (or request) that caused it."""

    at: datetime
    tier: str
    previous: str
    cause: str


class Member(_Part):
    """One owner in the club (``_id``: the member number), changed only through the member store."""

    id: str = Field(alias="_id")
    customer_id: str
    contact: MemberContact = Field(default_factory=MemberContact)
    properties: list[Property] = []
    source: Source
    joined_at: datetime
    tier: str
    vip: bool = False
    # the ledger balance as last applied, and how many ledger entries it summed (older readings lose)
    points: int = 0
    points_seen: int = 0
    tier_history: list[TierStep] = []
    rev: int = 0  # the aggregate's revision (the store sets it)

    @classmethod
    def new(cls, customer_id: str, contact: MemberContact, source: Source, base: Tier, now: datetime) -> Member:
        """A member who joins now: the base tier, no points yet, no units (add them with ``add_property``).

        Every field is set, so the stored document holds all of them (as members always were stored).
        """
        return cls(id=member_id_for(customer_id), customer_id=customer_id, contact=contact, properties=[],
                   source=source, joined_at=now, tier=base.id, vip=base.vip, points=0, points_seen=0,
                   tier_history=[], rev=0)

    def add_property(self, prop: Property) -> bool:
        """Add ``prop`` unless that unit is there (however it was written); True when added."""
        if any(p.key == prop.key for p in self.properties):
            return False
        self.properties = [*self.properties, prop]  # assigned, not appended: marks the field set
        return True

    def apply_reading(self, points: int, seen: int) -> None:
        """Take a ledger reading (balance, entries it summed) unless it saw fewer entries than the last one."""
        if seen >= self.points_seen:
            self.points, self.points_seen = points, seen

    def standing(self, points: int, now: datetime) -> Standing:
        """What tiers are decided on, with ``points`` as the balance."""
        return Standing(points=points, properties=len(self.properties), years=full_years(self.joined_at, now))

    def move_to(self, tier: Tier, now: datetime, cause: str) -> str | None:
        """Put the member on ``tier``; the tier they left, or None when they were on it already."""
        previous = self.tier
        if tier.id == previous:
            return None
        self.tier, self.vip = tier.id, tier.vip
        self.tier_history = [*self.tier_history, TierStep(at=now, tier=tier.id, previous=previous, cause=cause)]
        return previous

    @property
    def projects(self) -> set[str]:
        """The projects where the member owns a unit (community events of those are open to them)."""
        return {p.project for p in self.properties if p.project}
