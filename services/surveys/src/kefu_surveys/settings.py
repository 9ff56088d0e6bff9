"""Settings of the surveys service (environment variables, prefix ``KEFU_``)."""

from __future__ import annotations

from typing import ClassVar

from kefu_kit import ServiceSettings
from pydantic import Field


class Settings(ServiceSettings):
    service: ClassVar[str] = "surveys"
    default_http_port: ClassVar[int] = 8104

    repair_visit_due_after_s: float = Field(
        24 * 3600, ge=0, description="a finished repair's return visit is due this long after completion")
    complaint_visit_due_after_s: float = Field(
        48 * 3600, ge=0, description="a closed complaint's return visit is due this long after closure")
    event_feedback_due_after_s: float = Field(
        2 * 3600, ge=0, description="feedback on a community event is asked for this long after attending")
    visit_answer_window_s: float = Field(
        72 * 3600, gt=0, description="a return visit attempt not answered within this long is unreachable")
    survey_answer_window_s: float = Field(
        14 * 24 * 3600, gt=0, description="a campaign or feedback survey attempt not answered within this long expires")
    scheduler_interval_s: float = Field(5.0, gt=0, description="how often due and expired surveys are looked for")
    campaign_interval_s: float = Field(1.0, gt=0, description="how often running campaigns claim their next slots")
    campaign_horizon_s: float = Field(
        5.0, gt=0, description="seconds of slots a campaign claims at once; a pause takes effect after the slots "
                               "already claimed (at most 1.5 horizons)")
    relay_interval_s: float = Field(5.0, gt=0, description="how often events of an interrupted publish are relayed")
    relay_grace_s: float = Field(
        60.0, gt=0, description="an event still unmarked this long after its send time is relayed (its writer died); "
                                "longer than marking a campaign batch sent takes (seconds on FerretDB)")
    public_url: str = Field("http://127.0.0.1:8104", description="base URL of the owners' survey links (/s/<token>)")
    link_keep_s: float = Field(
        30 * 86400.0, gt=0, description="how long expired owners' links (and link uses) are kept, so a late tap "
        "hears \"expired\" rather than \"no such link\"; then they are deleted")
