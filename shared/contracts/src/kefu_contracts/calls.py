"""``call.received``: a contact from an owner on any channel (published by channel adapters)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from .envelope import Event

Text = Annotated[str, StringConstraints(strip_whitespace=True)]


class Channel(StrEnum):
    HOTLINE = "hotline"
    WALK_IN = "walk_in"
    WEB = "web"
    EMAIL = "email"
    LETTER = "letter"
    WECHAT = "wechat"
    APP = "app"


class ContactKind(StrEnum):
    INQUIRY = "inquiry"
    COMPLAINT = "complaint"
    SUGGESTION = "suggestion"
    REPAIR = "repair"
    PRAISE = "praise"


class Caller(BaseModel):
    """Who contacted us. At least one of phone, email or customer_id identifies them."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: Annotated[Text, StringConstraints(max_length=100)] | None = None
    phone: Annotated[Text, StringConstraints(min_length=3, max_length=40)] | None = None
    email: Annotated[Text, StringConstraints(min_length=3, max_length=254)] | None = None
    customer_id: Annotated[Text, StringConstraints(min_length=1, max_length=64)] | None = None

    @model_validator(mode="after")
    def _identified(self) -> "Caller":
        if not (self.phone or self.email or self.customer_id):
            raise ValueError("caller needs at least one of phone, email or customer_id")
        return self

    def partition_key(self) -> str:
        """The Kafka key that keeps one caller's contacts in order."""
        return self.customer_id or self.phone or self.email  # type: ignore[return-value]


class PropertyRef(BaseModel):
    """The owner's property the contact is about."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    project: Annotated[Text, StringConstraints(min_length=1, max_length=100)]
    building: Annotated[Text, StringConstraints(max_length=50)] | None = None
    unit: Annotated[Text, StringConstraints(max_length=50)] | None = None


class CallReceived(Event):
    """A contact as the channel took it. Key: the caller's customer id, phone or email."""

    channel: Channel
    caller: Caller
    property: PropertyRef | None = None
    kind: ContactKind | None = Field(
        default=None, description="the agent's classification; when absent the system classifies the text"
    )
    subject: Annotated[str, StringConstraints(max_length=200)] | None = None
    body: Annotated[str, StringConstraints(min_length=1, max_length=10000)]
    external_ref: Annotated[str, StringConstraints(max_length=200)] | None = None
    agent_id: Annotated[str, StringConstraints(max_length=64)] | None = None

    def kafka_key(self) -> str:
        return self.caller.partition_key()
