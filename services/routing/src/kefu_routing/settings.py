"""Settings of the routing service (environment variables, prefix `KEFU_`)."""

from typing import ClassVar

from kefu_kit import ServiceSettings


class Settings(ServiceSettings):
    service: ClassVar[str] = "routing"
    default_http_port: ClassVar[int] = 8102
