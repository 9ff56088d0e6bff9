"""What notifications record, as typed values: a message and the notice of a new case.

The batch decider builds these and the store writes them (``to_doc``); a stored
document read back (a redelivery) becomes the same type (``from_doc``), so the
decision that was stored first is the one that goes on, and a field renamed in one
place is renamed in all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .status import INBOX, Status

# Keys left out of a message document when they have no value (as messages were always stored: an
# unsendable message has no text, a sendable one no ``unsendable``).
_OPTIONAL = ("locale", "subject", "text", "unsendable")


class _Record(BaseModel):
    # ``_id`` in the store; fields the store adds (``facets``) or older documents carry are ignored.
    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)

    id: str = Field(alias="_id")

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Any:
        return cls.model_validate(doc)


class Message(_Record):
    """One message per (cause event, recipient, channel): what is said, to whom, where, from when."""

    cause_event_id: str
    cause_topic: str
    correlation_id: str
    case_id: str | None = None
    recipient: str
    audience: Literal["staff", "owner"]
    channel: str
    address: str
    template: str
    urgent: bool = False
    ready_at: datetime
    send_at: datetime
    max_attempts: int
    created_at: datetime
    locale: str | None = None
    subject: str | None = None
    text: str | None = None
    unsendable: str | None = None  # why it cannot go out (no template text, no provider): failed at once
    status: Status = "scheduled"

    @property
    def delivered_by_recording(self) -> bool:
        """An inbox message is delivered once recorded: the inbox is kefu's own store."""
        return self.channel == INBOX and not self.unsendable

    @property
    def needs_delivery(self) -> bool:
        return not self.unsendable and self.channel != INBOX

    def to_doc(self) -> dict[str, Any]:
        doc = self.model_dump(by_alias=True)
        for key in _OPTIONAL:
            if doc[key] is None:
                del doc[key]
        return doc


class Notice(_Record):
    """The department's "new case" for one ``case.assigned`` (what dashboards and the demo count)."""

    event_id: str
    correlation_id: str | None = None
    case_id: str
    recipient: str
    department: str
    assignee: str | None = None
    message_ids: list[str]
    created_at: datetime

    def to_doc(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True)
