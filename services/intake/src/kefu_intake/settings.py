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
