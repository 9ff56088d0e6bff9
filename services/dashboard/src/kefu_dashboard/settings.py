"""Settings of the dashboard service (environment variables, prefix ``KEFU_``)."""

from __future__ import annotations

from typing import ClassVar

from kefu_kit import ServiceSettings
from pydantic import Field


class Settings(ServiceSettings):
    service: ClassVar[str] = "dashboard"
    default_http_port: ClassVar[int] = 8106

    feed_poll_s: float = Field(1.0, gt=0, description="how often each instance looks for new live-feed entries")
    feed_overlap_s: float = Field(
        10.0, ge=0, description="how far back each feed poll looks again (instances' clocks, slow inserts)")
    feed_retention_s: float = Field(3600.0, gt=0, description="how long live-feed entries are kept")
    feed_recent: int = Field(20, ge=0, le=500, description="entries a page gets when it connects")
    revisions_retention_s: float = Field(
        86400.0, gt=0, description="how long a case's past revisions (its write claims) are kept; the cases stay")
    lag_interval_s: float = Field(
        30.0, gt=0, description="how often the consumer lag of kefu's groups is sampled (/api/lag, /metrics)")
    stream_keepalive_s: float = Field(15.0, gt=0, description="comment sent on an idle live stream so proxies keep it")


    # Where the workspace page (/workspace) finds the services it calls from the browser (each service
    # allows the dashboard's origin with KEFU_CORS_ORIGINS). Addresses as the agent's browser reaches them.
    intake_url: str = Field("http://127.0.0.1:8101", description="intake's base URL, as the workspace page's browser reaches it")
    routing_url: str = Field("http://127.0.0.1:8102", description="routing's base URL, for the workspace page")
    surveys_url: str = Field("http://127.0.0.1:8104", description="surveys' base URL, for the workspace page")
    membership_url: str = Field("http://127.0.0.1:8105", description="membership's base URL, for the workspace page")
    knowledge_url: str = Field("http://127.0.0.1:8107", description="knowledge's base URL, for the workspace page")
