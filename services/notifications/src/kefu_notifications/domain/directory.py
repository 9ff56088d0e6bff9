"""The staff directory as data (``staff.toml``): where each role, department and person is told.

Every staff recipient has an inbox in kefu; a webhook (a department's own system,
a group chat bot) and an email address are optional. A department or person the
directory does not know still gets its inbox: nobody is left untold because the
directory lags behind the roster.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SECTIONS = {"roles": "role", "departments": "department", "people": "staff"}


@dataclass(frozen=True)
class StaffContact:
    recipient: str  # "role:cs_manager", "department:engineering", "staff:eng-01"
    name: str
    webhook: str | None = None
    email: str | None = None

    def channels(self) -> list[tuple[str, str]]:
        """(channel, address) pairs, inbox first."""
        out = [("inbox", self.recipient)]
        if self.webhook:
            out.append(("webhook", self.webhook))
        if self.email:
            out.append(("email", self.email))
        return out


@dataclass(frozen=True)
class StaffDirectory:
    entries: dict[str, StaffContact]

    def contact(self, kind: str, key: str) -> StaffContact:
        """The contact of ``role``/``department``/``staff`` ``key``; inbox only when unknown."""
        recipient = f"{kind}:{key}"
        return self.entries.get(recipient) or StaffContact(recipient, key)


def parse_directory(data: dict[str, Any]) -> StaffDirectory:
    unknown = sorted(set(data) - set(SECTIONS))
    if unknown:
        raise ValueError(f"staff directory: unknown sections {unknown} (use {sorted(SECTIONS)})")
    entries: dict[str, StaffContact] = {}
    for section, kind in SECTIONS.items():
        for key, entry in data.get(section, {}).items():
            where = f"{section}.{key}"
            if not isinstance(entry, dict):
                raise ValueError(f"staff directory: {where} must be a table")
            extra = sorted(set(entry) - {"name", "webhook", "email"})
            if extra:
                raise ValueError(f"staff directory: {where} has unknown keys {extra}")
            webhook, email = entry.get("webhook"), entry.get("email")
            if webhook is not None and not (isinstance(webhook, str) and webhook.startswith(("http://", "https://"))):
                raise ValueError(f"staff directory: {where}.webhook must be an http(s) URL")
            if email is not None and not (isinstance(email, str) and _EMAIL.match(email)):
                raise ValueError(f"staff directory: {where}.email is not an email address")
            recipient = f"{kind}:{key}"
            entries[recipient] = StaffContact(recipient, str(entry.get("name") or key), webhook, email)
    return StaffDirectory(entries)


@lru_cache(maxsize=1)
def default_directory() -> StaffDirectory:
    text = resources.files("kefu_notifications.domain").joinpath("staff.toml").read_text(encoding="utf-8")
    return parse_directory(tomllib.loads(text))
