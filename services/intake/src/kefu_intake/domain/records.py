"""What intake stores, as typed records: a contact with its decisions, a customer, an open problem.

Documents are read into these models and written from them (``to_doc``), so the
decider works on typed values and a field renamed in one place is renamed in all.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator


def as_stored(value: datetime) -> datetime:
    """A datetime as the store gives it back: UTC, to the millisecond (BSON dates keep no more).

    A record decided in memory and the same record read back must be equal: the events
    built from them are published again on a redelivery and must not differ.
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    value = value.astimezone(timezone.utc)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


class _Record(BaseModel):
    # ``_id`` in the store; unknown fields (older documents) are ignored, not rejected.
    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)

    id: str = Field(alias="_id")

    @field_validator("*", mode="after")
    @classmethod
    def _dates_as_stored(cls, value: Any) -> Any:
        return as_stored(value) if isinstance(value, datetime) else value

    def to_doc(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True)


class Classification(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: str
    by: str  # "agent" when the channel gave the kind, else "rules"
    category: str | None = None
    urgent_flags: list[str] = []
    rules: list[str] = []


class ContactRecord(_Record):
    """One contact (``_id``: the call's event_id) and what intake decided about it.

    Stored before anything is published: a redelivered call finds it and republishes
    the same event, with the same id, instead of deciding again.
    """

    customer_id: str
    caller_name: str | None = None
    channel: str
    received_at: datetime
    recorded_at: datetime
    property: dict[str, Any] | None = None
    subject: str | None = None
    body: str
    external_ref: str | None = None
    agent_id: str | None = None
    classification: Classification
    case_id: str
    follow_up: bool = False
    problem_key: str | None = None
    handover_date: datetime | None = None
    correlation_id: str


class Customer(_Record):
    """A customer of the archive; phones, emails and properties are linked to it by their own documents."""

    name: str | None = None
    created_at: datetime


class OpenProblem(_Record):
    """A problem's current case (``_id``: the problem key), so a new contact finds it.

    ``recent`` lists the last decisions taken on this problem, (contact id, case id):
    a batch retried after its problem writes, but before its contacts were recorded,
    finds its own decisions here and takes them again instead of deciding on a state
    its first attempt already moved on. ``rev`` counts writes, so two writers of one
    problem cannot both win.
    """

    case_id: str
    open: bool = True
    opened_at: datetime
    last_contact_at: datetime
    closed_at: datetime | None = None
    recent: list[tuple[str, str]] = []
    rev: int = 0

    @field_validator("recent", mode="before")
    @classmethod
    def _pairs(cls, value: Any) -> Any:
        """Stored as ``{contact, case}`` objects; documents written before that hold ``[contact, case]`` pairs."""
        if isinstance(value, list):
            return [(v["contact"], v["case"]) if isinstance(v, dict) else v for v in value]
        return value

    @field_serializer("recent")
    def _stored_pairs(self, recent: list[tuple[str, str]]) -> list[dict[str, str]]:
        """Objects, not nested arrays: FerretDB 1.x refuses an array inside an array."""
        return [{"contact": contact, "case": case} for contact, case in recent]
