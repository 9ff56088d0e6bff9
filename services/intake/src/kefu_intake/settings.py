"""Settings of the intake service (environment variables, prefix `KEFU_`)."""

from typing import ClassVar

from kefu_kit import ServiceSettings


class Settings(ServiceSettings):
    service: ClassVar[str] = "intake"
    default_http_port: ClassVar[int] = 8101
