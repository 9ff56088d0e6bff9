"""Settings common to every service, read from ``KEFU_*`` environment variables.

Each service subclasses ``ServiceSettings`` to name itself and add its own
settings; the README's settings table lists them all.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal

from kefu_contracts import Topics
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


DEFAULT_MONGO_URL = "mongodb://127.0.0.1:27017"


def service_mongo_url_var(service: str) -> str:
    """The variable that gives one service a store server of its own: ``KEFU_ROUTING_MONGO_URL``."""
    return f"KEFU_{service.upper()}_MONGO_URL"


def is_service_mongo_url_var(name: str) -> bool:
    """``KEFU_<SERVICE>_MONGO_URL`` (not ``KEFU_MONGO_URL``): what a run on one shared server drops."""
    return name.startswith("KEFU_") and name.endswith("_MONGO_URL") and name != "KEFU_MONGO_URL"


def service_mongo_url(service: str, environ: Mapping[str, str] | None = None) -> str:
    """The store a service uses: ``KEFU_<SERVICE>_MONGO_URL``, else ``KEFU_MONGO_URL``, else the default.

    One rule for the services (``ServiceSettings``) and the tools that read a service's
    database (the bench, ``kefu rebuild``), so they always look at the same server.
    """
    env = os.environ if environ is None else environ
    return env.get(service_mongo_url_var(service)) or env.get("KEFU_MONGO_URL") or DEFAULT_MONGO_URL


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KEFU_", extra="ignore")

    service: ClassVar[str] = "kefu"
    default_http_port: ClassVar[int] = 8100

    kafka_bootstrap: str = Field("127.0.0.1:9092", description="Kafka bootstrap servers, comma-separated")
    mongo_url: str = Field(
        DEFAULT_MONGO_URL,
        description="MongoDB-compatible server URL; KEFU_<SERVICE>_MONGO_URL for one service (its own server)",
    )
    namespace: str = Field(
        "", description="prefix for topics, consumer groups and databases (a shared cluster, a test run)"
    )
    http_host: str = Field("127.0.0.1", description="address the HTTP API and health endpoint bind to")
    http_port: int | None = Field(
        None, description="HTTP port for all services; KEFU_<SERVICE>_HTTP_PORT for one; defaults 8101-8105"
    )
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR")
    log_format: Literal["json", "console"] = Field("json", description="json for machines, console for people")
    retry_initial_s: float = Field(0.2, gt=0, description="first back-off after a transient failure")
    retry_max_s: float = Field(10.0, gt=0, description="longest back-off between retries of a transient failure")
    graceful_timeout_s: float = Field(15.0, gt=0, description="how long shutdown waits for in-flight messages")
    health_interval_s: float = Field(
        15.0, gt=0, description="how often the service checks Kafka and the store for kefu_dependency_up (/metrics)"
    )
    replication_factor: int = Field(1, ge=1, description="replication factor for topics the service creates")
    tokens: Any = Field(
        None, description="API tokens as JSON: [{token_sha256, role, department?, name}] (`kefu token`); "
        "KEFU_<SERVICE>_TOKENS for one service"
    )
    tokens_file: Path | None = Field(None, description="a JSON file of more token entries (a mounted secret)")
    cors_origins: str = Field(
        "", description="browser origins allowed to call the API (the dashboard's workspace page), comma-separated; "
        "empty: no CORS headers, browsers on other origins are refused"
    )
    dev_mode: bool = Field(
        False, description="lets a service start with no tokens (every protected route then answers 401)"
    )

    @field_validator("namespace")
    @classmethod
    def _namespace_ok(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9_]{0,32}", value):
            raise ValueError("KEFU_NAMESPACE must be 0-32 characters of a-z, 0-9 and _")
        return value

    def model_post_init(self, _context: object) -> None:
        """``KEFU_<SERVICE>_HTTP_PORT`` beats ``KEFU_HTTP_PORT``, so services on one host can each have a port;
        ``KEFU_<SERVICE>_MONGO_URL`` beats ``KEFU_MONGO_URL``, so each service can have a store server of its own."""
        own = os.environ.get(f"KEFU_{self.service.upper()}_HTTP_PORT")
        if own:
            self.http_port = int(own)
        own_store = os.environ.get(service_mongo_url_var(self.service))
        if own_store:
            self.mongo_url = own_store
        own_tokens = os.environ.get(f"KEFU_{self.service.upper()}_TOKENS")
        if own_tokens:
            self.tokens = own_tokens

    def cors_origin_list(self) -> list[str]:
        """``cors_origins`` as a list: origins are ``scheme://host[:port]``, without a trailing slash."""
        return [o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip()]

    def token_entries(self) -> list[dict[str, Any]]:
        """The token entries of this service (``KEFU_<SERVICE>_TOKENS`` or ``KEFU_TOKENS``, plus the file)."""
        from .auth import load_token_entries

        return load_token_entries(self.tokens, self.tokens_file)

    @property
    def topics(self) -> Topics:
        return Topics(self.namespace)

    @property
    def group_id(self) -> str:
        """The service's consumer group: every instance of a service shares it."""
        return f"{self.namespace}.kefu-{self.service}" if self.namespace else f"kefu-{self.service}"

    @property
    def database(self) -> str:
        """The service's own database; no other service reads it."""
        return f"{self.namespace}_kefu_{self.service}" if self.namespace else f"kefu_{self.service}"

    @property
    def port(self) -> int:
        return self.http_port if self.http_port is not None else self.default_http_port
