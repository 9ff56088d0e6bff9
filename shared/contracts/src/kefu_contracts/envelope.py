"""The envelope every kefu event carries, and deterministic ids for derived events.

Consumers deduplicate on ``event_id``; a service that derives an event from
another must give it the same id on every redelivery, or a retry would create
doubles downstream. ``derived_event_id`` is that rule in one place.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

EventId = Annotated[str, StringConstraints(min_length=1, max_length=128)]

# A fixed namespace: changing it would change every derived id ever issued.
_KEFU_NAMESPACE = uuid.UUID("0b5d7d1e-3f0c-5a3e-9c55-6b6566750001")


def derived_event_id(kind: str, *parts: str) -> str:
    """Return the id of an event derived from ``parts`` (usually the cause's event_id).

    The same inputs always give the same id, so a redelivered cause yields the
    same derived event and consumers can drop the repeat.
    """
    if not parts:
        raise ValueError("a derived id needs at least one part")
    name = "\x1f".join((kind, *parts))
    return f"{kind}-{uuid.uuid5(_KEFU_NAMESPACE, name)}"


def utc_now() -> datetime:
    """The current time, timezone-aware (contracts require an offset)."""
    return datetime.now(timezone.utc)


class Event(BaseModel):
    """Fields common to every event (contracts v1).

    Unknown fields are ignored rather than rejected: producers may add optional
    fields without breaking readers (additive evolution, tolerant readers).
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_id: EventId
    schema_version: Literal[1] = 1
    occurred_at: AwareDatetime
    correlation_id: EventId | None = None
    causation_id: EventId | None = None

    def kafka_key(self) -> str:
        """The Kafka key that keeps related events in one partition, in order (per topic contract)."""
        raise NotImplementedError(f"{type(self).__name__} does not define its Kafka key")

    def to_json_bytes(self) -> bytes:
        """Serialise for Kafka: UTF-8 JSON, no nulls for absent optional fields."""
        return self.model_dump_json(exclude_none=True).encode("utf-8")


class DerivedEvent(Event):
    """An event a service derives from another: it must name its chain."""

    correlation_id: EventId = Field(description="event_id of the call that started the chain")
    causation_id: EventId = Field(description="event_id of the event that caused this one")
