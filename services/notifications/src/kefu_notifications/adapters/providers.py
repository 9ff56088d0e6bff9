"""Providers: what carries a message out, one interface for every channel.

``send`` returns the provider's id for the message, or raises ``ProviderError``
(the attempt failed; the delivery loop retries later). Each call carries the
message id, so a receiver that saw it already (a retry after a lost answer)
can drop the repeat: as a header (webhooks), a field (gateways) or the
Message-ID (email).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import smtplib
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

import httpx
from kefu_kit import mask_text

SIGNATURE_HEADER = "X-Kefu-Signature"
TIMESTAMP_HEADER = "X-Kefu-Timestamp"
MESSAGE_ID_HEADER = "X-Kefu-Message-Id"


class ProviderError(Exception):
    """The provider did not take the message (down, refused, timed out): the attempt failed."""


@dataclass(frozen=True)
class Outgoing:
    message_id: str
    recipient: str
    channel: str
    address: str
    subject: str
    body: str
    template: str
    case_id: str | None = None

    def as_json(self, at: datetime) -> dict[str, Any]:
        return {"message_id": self.message_id, "recipient": self.recipient, "channel": self.channel,
                "to": self.address, "subject": self.subject, "text": self.body, "template": self.template,
                "case_id": self.case_id, "sent_at": at.isoformat()}


class Provider(Protocol):
    async def send(self, message: Outgoing) -> str: ...


def sign(secret: bytes, body: bytes) -> str:
    """The ``X-Kefu-Signature`` value: ``sha256=<hex HMAC-SHA256 of the exact body bytes>``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


class FileProvider:
    """The demo's provider: one JSON line per message sent, addresses masked."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = asyncio.Lock()

    async def send(self, message: Outgoing) -> str:
        record = message.as_json(datetime.now(timezone.utc))
        record["to"] = mask_text(message.address)
        line = json.dumps(record, ensure_ascii=False) + "\n"
        async with self._lock:
            try:
                await asyncio.to_thread(self._append, line)
            except OSError as exc:
                raise ProviderError(f"cannot write {self.path}: {exc}") from exc
        return message.message_id

    def _append(self, line: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(line)


async def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> httpx.Response:
    try:
        async with httpx.AsyncClient(timeout=timeout) as client:
            response = await client.post(url, content=body, headers={"content-type": "application/json", **headers})
    except httpx.HTTPError as exc:
        raise ProviderError(f"POST {url}: {type(exc).__name__}: {exc}") from exc
    if response.status_code // 100 != 2:
        raise ProviderError(f"POST {url}: HTTP {response.status_code} {response.text[:200]}")
    return response


def _remote_id(response: httpx.Response, fallback: str) -> str:
    try:
        data = response.json()
    except ValueError:
        return fallback
    if isinstance(data, dict):
        return str(data.get("message_id") or data.get("id") or fallback)
    return fallback


class WebhookProvider:
    """Signed webhooks: POST the message as JSON to the recipient's URL, signed with the shared secret.

    The receiver recomputes the HMAC over the raw body and compares; the body
    carries ``sent_at`` (also in ``X-Kefu-Timestamp``) so a receiver can refuse
    old replays, and the signature covers it.
    """

    def __init__(self, secret: bytes, timeout: float = 10.0) -> None:
        self.secret = secret
        self.timeout = timeout

    async def send(self, message: Outgoing) -> str:
        at = datetime.now(timezone.utc)
        body = json.dumps(message.as_json(at), ensure_ascii=False).encode("utf-8")
        headers = {SIGNATURE_HEADER: sign(self.secret, body), TIMESTAMP_HEADER: str(int(at.timestamp())),
                   MESSAGE_ID_HEADER: message.message_id}
        return _remote_id(await _post(message.address, body, headers, self.timeout), message.message_id)


class GatewayProvider:
    """An HTTP gateway for SMS or WeChat: POST {message_id, to, text, ...} as JSON to its URL."""

    def __init__(self, url: str, token: str | None = None, timeout: float = 10.0) -> None:
        self.url = url
        self.timeout = timeout
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    async def send(self, message: Outgoing) -> str:
        body = json.dumps(message.as_json(datetime.now(timezone.utc)), ensure_ascii=False).encode("utf-8")
        headers = {**self.headers, MESSAGE_ID_HEADER: message.message_id}
        return _remote_id(await _post(self.url, body, headers, self.timeout), message.message_id)


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 25
    sender: str = "kefu@localhost"
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout_s: float = 30.0


class SmtpProvider:
    """Email over SMTP (smtplib in a worker thread); the Message-ID is derived from the message id."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    async def send(self, message: Outgoing) -> str:
        email = EmailMessage()
        email["From"] = self.config.sender
        email["To"] = message.address
        email["Subject"] = message.subject
        email["Message-ID"] = f"<{message.message_id}@kefu>"
        email.set_content(message.body)
        try:
            await asyncio.to_thread(self._deliver, email)
        except (smtplib.SMTPException, OSError) as exc:
            raise ProviderError(f"SMTP {self.config.host}:{self.config.port}: {type(exc).__name__}: {exc}") from exc
        return str(email["Message-ID"])

    def _deliver(self, email: EmailMessage) -> None:
        c = self.config
        with smtplib.SMTP(c.host, c.port, timeout=c.timeout_s) as smtp:
            if c.starttls:
                smtp.starttls()
            if c.username:
                smtp.login(c.username, c.password or "")
            smtp.send_message(email)
