"""Notification events: ``notification.failed`` (a message could not be delivered after its retries)."""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from .envelope import DerivedEvent


class NotificationFailed(DerivedEvent):
    """Every retry of a message failed; someone must reach the recipient another way. Key: ``recipient``."""

    def kafka_key(self) -> str:
        return self.recipient

    notification_id: str
    cause_event_id: str = Field(description="event_id of the event the message was about")
    cause_topic: str
    recipient: str = Field(description="who: 'customer:<id>', 'department:<id>', 'role:<role>'")
    channel: str = Field(description="sms, wechat, email, webhook, inbox, ...")
    template: str
    attempts: int = Field(ge=1)
    error: str
    failed_at: AwareDatetime
