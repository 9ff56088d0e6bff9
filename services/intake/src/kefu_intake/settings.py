"""Settings of the intake service (environment variables, prefix ``KEFU_``)."""

from typing import ClassVar

from kefu_kit import ServiceSettings
from pydantic import Field


class Settings(ServiceSettings):
    service: ClassVar[str] = "intake"
    default_http_port: ClassVar[int] = 8101

    follow_up_window_days: int = Field(
        30, ge=1, description="a contact about the same property and problem within this many days of the last "
                              "one, while its case is open, is a follow-up, not a new case")
    batch_max_records: int = Field(
        500, ge=1, le=10_000, description="most call.received (and case.status_changed) records handled in one "
                                          "batch (one read and one bulk write per collection per batch)")
    batch_timeout_ms: int = Field(20, ge=1, description="how long a poll for a batch waits when none is buffered")
    problem_closed_grace_s: float = Field(
        3600.0, ge=0, description="an open-problem entry whose case closed this long ago is pruned")
    problem_prune_every_s: float = Field(300.0, gt=0, description="how often stale open-problem entries are pruned")
    accepted_call_retention_s: float = Field(
        7 * 86400.0, gt=0, description="how long POST /calls remembers an event_id or external_ref, so a retry "
                                       "within it gets the same answer and publishes nothing")
    accepted_call_prune_every_s: float = Field(600.0, gt=0, description="how often older accepted-call keys are "
                                                                          "pruned")
    call_publish_timeout_s: float = Field(
        10.0, gt=0, description="POST /calls waits this long for the broker's ack, then answers 503 (retry)")
