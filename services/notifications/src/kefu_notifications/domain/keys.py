"""Deterministic ids: the same cause always gives the same message, attempt and failure event.

A redelivered event, a second instance or a restart computes the same ids, and
the store's unique ``_id`` turns the repeat into "already done".
"""

from __future__ import annotations

from kefu_contracts import derived_event_id


def message_id(cause_event_id: str, recipient: str, channel: str) -> str:
    """One message per event, recipient and channel."""
    return derived_event_id("notification", cause_event_id, recipient, channel)


def attempt_id(message_id: str, attempt: int) -> str:
    """The claim of one delivery attempt: whoever inserts it sends that attempt, nobody else."""
    if attempt < 1:
        raise ValueError("attempts count from 1")
    return f"{message_id}|{attempt}"


def failed_event_id(message_id: str) -> str:
    """The id of the one ``notification.failed`` a message can cause."""
    return derived_event_id("notification.failed", message_id)
