"""Settings of the membership service (environment variables, prefix ``KEFU_``)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from kefu_kit import ServiceSettings
from pydantic import Field, SecretStr


class Settings(ServiceSettings):
    service: ClassVar[str] = "membership"
    default_http_port: ClassVar[int] = 8105

    tiers_file: Path | None = Field(None, description="TOML club tiers replacing the shipped tiers.toml")
    points_file: Path | None = Field(None, description="TOML points rules (earning, expiry) replacing points.toml")
    review_interval_s: float = Field(
        3600.0, gt=0, description="how often members are reviewed: points expiry (once per month) and tier by years")
    close_interval_s: float = Field(60.0, gt=0, description="how often community events past their end are closed")
    relay_interval_s: float = Field(5.0, gt=0, description="how often interrupted changes' events are relayed")
    parked_max_age_s: float = Field(
        86400.0, gt=0, description="how long a survey answer of a non-member waits for them to join before it earns nothing")
    parked_check_interval_s: float = Field(60.0, gt=0, description="how often parked survey answers are expired")
    event_duration_minutes: int = Field(
        120, ge=1, description="how long a community event lasts when its creator does not say")
    owner_link_secret: SecretStr | None = Field(
        None, description="HMAC key of the owners' club links (/o/<token>, at least 16 bytes); unset: no links")
    owner_link_ttl_s: float = Field(30 * 86400, gt=0, description="how long an owner's club link stays valid")
    owner_link_base_url: str = Field("http://127.0.0.1:8105", description="base URL of the owners' club links (/o/<token>)")
