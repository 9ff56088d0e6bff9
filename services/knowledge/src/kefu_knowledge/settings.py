"""Settings of the knowledge service (environment variables, prefix ``KEFU_``)."""

from __future__ import annotations

from typing import ClassVar

from kefu_kit import ServiceSettings
from pydantic import Field


class Settings(ServiceSettings):
    service: ClassVar[str] = "knowledge"
    default_http_port: ClassVar[int] = 8107

    index_refresh_s: float = Field(
        1.0, gt=0, description="how often an instance reads the articles and case-library entries changed since "
                               "its last look into its search index (changes made through another instance)")
    index_overlap_s: float = Field(
        30.0, ge=0, description="how far back each refresh reads before the newest change it saw: a write stamped "
                                "earlier but committed later (another instance's clock, a slow write) is not missed")
    load_starter_articles: bool = Field(True, description="load the starter articles at start when absent or newer")
