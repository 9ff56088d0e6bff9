"""Settings of the membership service (environment variables, prefix `KEFU_`)."""

from typing import ClassVar

from kefu_kit import ServiceSettings


class Settings(ServiceSettings):
    service: ClassVar[str] = "membership"
    default_http_port: ClassVar[int] = 8105
