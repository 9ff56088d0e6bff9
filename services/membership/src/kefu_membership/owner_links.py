"""The owner's club link: ``/o/<member>.<expiry>.<signature>``, an HMAC-signed, expiring credential.

Why signed and not stored: the link is the only thing an owner has (no account, no password); it
names one member and an expiry, and only a holder of ``KEFU_OWNER_LINK_SECRET`` can make one. So
membership (which holds the secret, and is the one service that checks it) builds the link and puts it in
``member.joined`` (``club_url``); notifications only sends the text, it never holds the secret. A
changed member id or expiry breaks the signature; rotating the secret revokes every link at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

# member ids are "M" + 12 hex digits (domain/members.py); anything else is not a link of ours
_TOKEN = re.compile(r"^(M[0-9A-F]{12})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})$")
TOKEN_MAX = 80


class BadLink(ValueError):
    """Not a link we made (malformed, or its signature does not match)."""


class ExpiredLink(ValueError):
    """A link we made, past its expiry."""


@dataclass(frozen=True)
class OwnerLinks:
    secret: bytes
    base_url: str
    ttl: timedelta

    def __post_init__(self) -> None:
        if len(self.secret) < 16:
            raise ValueError("the owner link secret needs at least 16 bytes")

    def _signature(self, member_id: str, expires: int) -> str:
        mac = hmac.new(self.secret, f"kefu-owner-link|v1|{member_id}|{expires}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def token(self, member_id: str, expires_at: datetime) -> str:
        expires = int(expires_at.timestamp())
        return f"{member_id}.{expires}.{self._signature(member_id, expires)}"

    def issue(self, member_id: str, now: datetime) -> tuple[str, str, datetime]:
        """(token, url, expires_at) of a new link for ``member_id``, valid for ``ttl``."""
        expires_at = datetime.fromtimestamp(int((now + self.ttl).timestamp()), timezone.utc)
        token = self.token(member_id, expires_at)
        return token, f"{self.base_url.rstrip('/')}/o/{token}", expires_at

    def member_of(self, token: str, now: datetime) -> str:
        """The member a token names; BadLink when it is not ours, ExpiredLink when it is ours and expired."""
        found = _TOKEN.match(token)
        if found is None:
            raise BadLink("not an owner link")
        member_id, expires = found.group(1), int(found.group(2))
        if not hmac.compare_digest(found.group(3), self._signature(member_id, expires)):
            raise BadLink("not an owner link")
        if expires <= now.timestamp():
            raise ExpiredLink("this link has expired")
        return member_id
