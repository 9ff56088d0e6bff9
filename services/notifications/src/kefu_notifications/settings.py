"""Settings of the notifications service (environment variables, prefix `KEFU_`)."""

from typing import ClassVar

from kefu_kit import ServiceSettings


class Settings(ServiceSettings):
    service: ClassVar[str] = "notifications"
    default_http_port: ClassVar[int] = 8103
