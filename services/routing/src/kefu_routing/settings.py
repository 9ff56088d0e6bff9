"""Settings of the routing service (environment variables, prefix ``KEFU_``)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from kefu_kit import ServiceSettings
from pydantic import Field


class Settings(ServiceSettings):
    service: ClassVar[str] = "routing"
    default_http_port: ClassVar[int] = 8102

    group_min_owners: int = Field(3, ge=2, description="distinct owners that make a group complaint (群诉)")
    group_window_hours: float = Field(72.0, gt=0, description="window in which their complaints must fall")
    group_kinds: list[str] = Field(
        default_factory=lambda: ["complaint", "repair"],
        description="case kinds that count for 群诉; a repair only when its problem is shared (group_rule_file)")
    group_rule_file: Path | None = Field(
        None, description="TOML group rule (which repairs count for 群诉, batch defects) replacing groups.toml")
    repeat_window_days: int = Field(30, ge=1, description="a complaint within this many days of another is a repeat")
    timer_interval_s: float = Field(5.0, gt=0, description="how often deadline timers are checked")
    group_close_interval_s: float = Field(300.0, gt=0, description="how often groups past their window are closed")
    report_prune_interval_s: float = Field(
        3600.0, gt=0, description="how often recent reports older than the repeat and group windows are deleted")
    relay_interval_s: float = Field(5.0, gt=0, description="how often interrupted changes' events are relayed")
    sla_file: Path | None = Field(None, description="TOML service levels replacing the shipped sla.toml")
    calendar_file: Path | None = Field(None, description="TOML business calendar replacing the shipped calendar.toml")
    calendar_years_dir: Path | None = Field(
        None, description="folder of <year>.toml public holiday files replacing the shipped domain/holidays/")
    staff_file: Path | None = Field(None, description="TOML staff roster replacing the shipped staff.toml")
    workload_refresh_s: float = Field(30.0, gt=0, description="how often open-case counts per person are recounted")

    parked_max_age_s: float = Field(
        86400.0, gt=0, description="how long an event that came before its case waits for it before it is dead-lettered")
    parked_check_interval_s: float = Field(
        60.0, gt=0, description="how often parked events are checked for expiry (and the parked gauge is set)")

    batch_max_records: int = Field(
        500, ge=1, le=10_000, description="most records of one topic handled in one batch")
    batch_timeout_ms: int = Field(20, ge=1, description="how long a poll for a batch waits when none is buffered")
    batch_concurrency: int = Field(
        32, ge=1, le=500, description="cases (Kafka keys) of a batch handled at once; a key's events stay in order")

