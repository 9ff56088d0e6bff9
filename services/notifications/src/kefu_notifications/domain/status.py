"""A message's delivery status, derived from its insert-only attempt outcomes.

Several instances record outcomes; the API shows the status derived from them,
which a slower writer cannot overwrite. The stored ``status`` (for list filters
in the store) is written only by the claimant of the attempt that settles the
message, once; it is never the source of what the API reports.
"""

from __future__ import annotations

from typing import Any, Literal

Status = Literal["scheduled", "sent", "failed"]


INBOX = "inbox"


def derive_status(message: dict[str, Any], outcomes: list[dict[str, Any]]) -> Status:
    """sent once any attempt succeeded (an inbox message once recorded: the inbox is kefu's own store);
    failed when it is unsendable (no template text, no provider) or every attempt failed."""
    if message.get("unsendable"):
        return "failed"
    if message["channel"] == INBOX:
        return "sent"
    if any(o["ok"] for o in outcomes):
        return "sent"
    if len(outcomes) >= message["max_attempts"]:
        return "failed"
    return "scheduled"
