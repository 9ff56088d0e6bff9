"""Settings of the notifications service (environment variables, prefix ``KEFU_``)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, ClassVar

from kefu_kit import ServiceSettings
from pydantic import Field, SecretStr, field_validator

PROVIDER_KINDS = ("file", "webhook", "gateway", "smtp")


class Settings(ServiceSettings):
    service: ClassVar[str] = "notifications"
    default_http_port: ClassVar[int] = 8103

    staff_directory_file: Path | None = Field(
        None, description="TOML staff directory (roles, departments, people → webhook, email) replacing the shipped one")
    templates_file: Path | None = Field(None, description="TOML message templates replacing the shipped ones")
    quiet_hours: str = Field(
        "21:00-08:00", description="owners' quiet hours, HH:MM[:SS]-HH:MM[:SS] (may cross midnight); empty: none")
    quiet_hours_zone: str = Field("Asia/Shanghai", description="time zone of the quiet hours")
    template_zone: str = Field("Asia/Shanghai", description="time zone in which messages show times")
    batch_max_records: int = Field(
        500, ge=1, le=10_000, description="most records of one topic handled in one batch (one read and one bulk "
                                          "write per collection per batch)")
    batch_timeout_ms: int = Field(20, ge=1, description="how long a poll for a batch waits when none is buffered")
    max_attempts: int = Field(5, ge=1, description="delivery attempts per message before it fails")
    retry_base_s: float = Field(30.0, gt=0, description="wait after the first failed attempt; doubles each time")
    retry_cap_s: float = Field(3600.0, gt=0, description="longest wait between two attempts")
    delivery_interval_s: float = Field(2.0, gt=0, description="how often the delivery loop looks for due messages")
    delivery_batch: int = Field(200, ge=1, description="due messages taken per run of the delivery loop")
    delivery_concurrency: int = Field(16, ge=1, description="messages sent at once by one instance")
    claim_lease_s: float = Field(
        120.0, gt=0, description="an attempt claimed but without outcome for this long was interrupted (a crash)")
    channel_providers: dict[str, str] = Field(
        default_factory=lambda: {"sms": "file", "wechat": "file", "email": "file", "webhook": "webhook"},
        description=f"JSON: channel → provider ({', '.join(PROVIDER_KINDS)}); the inbox is kefu's own store")
    file_provider_path: Path | None = Field(
        None, description="where the file provider writes JSON lines (default: kefu[-<namespace>]-sent.jsonl in /tmp)")
    webhook_secret: SecretStr | None = Field(
        None, description="shared secret that signs webhooks; without it webhook messages fail visibly")
    http_timeout_s: float = Field(10.0, gt=0, description="timeout of webhook and gateway requests")
    gateway_urls: dict[str, str] = Field(
        default_factory=dict, description="JSON: channel → URL of its HTTP gateway (sms, wechat), for provider gateway")
    gateway_token: SecretStr | None = Field(None, description="bearer token for the HTTP gateways")
    smtp_host: str | None = Field(None, description="SMTP server, for provider smtp")
    smtp_port: int = Field(25, description="SMTP port")
    smtp_sender: str = Field("kefu@localhost", description="From address of emails")
    smtp_username: str | None = Field(None, description="SMTP login (none: no login)")
    smtp_password: SecretStr | None = Field(None, description="SMTP password")
    smtp_starttls: bool = Field(False, description="upgrade the SMTP connection with STARTTLS")

    def sent_file(self) -> Path:
        """The file provider's file: the setting, else one per namespace in the temp directory."""
        name = f"kefu-{self.namespace}-sent.jsonl" if self.namespace else "kefu-sent.jsonl"
        return self.file_provider_path or Path(tempfile.gettempdir()) / name

    @field_validator("channel_providers", "gateway_urls", mode="before")
    @classmethod
    def _json(cls, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    @field_validator("channel_providers")
    @classmethod
    def _known(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted({v for v in value.values() if v not in PROVIDER_KINDS})
        if unknown:
            raise ValueError(f"unknown providers {unknown}; use {list(PROVIDER_KINDS)}")
        return value
