"""Which store server holds a service's database, for the CLI tools that read one (``kefu rebuild``).

The local stack runs one SecantusDB per service (``KEFU_STORES=per-service``) and
writes their URLs to ``.stack/run/stores.env``; ``eval "$(deploy/local/stack.sh env)"``
exports them too. A tool must look where the service writes: ``KEFU_<SERVICE>_MONGO_URL``,
else ``KEFU_MONGO_URL`` (the kit's rule, ``kefu_kit.settings.service_mongo_url``). Only
when neither is set (a fresh shell next to ``make up``) does it read the stack's file,
instead of silently opening the shared server where that service's database is not.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from kefu_kit.settings import DEFAULT_MONGO_URL, service_mongo_url, service_mongo_url_var

_EXPORT = re.compile(r"^export (KEFU_[A-Z]+_MONGO_URL)=(\S+)$")


def stack_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where the local stack keeps its installs and run files (``make`` runs from the repository root)."""
    env = os.environ if environ is None else environ
    return Path(env.get("KEFU_STACK_DIR") or ".stack")


def local_stack_store_urls(directory: Path | None = None) -> dict[str, str]:
    """``KEFU_<SERVICE>_MONGO_URL`` -> URL from the stack's ``run/stores.env`` (empty if it runs none)."""
    path = (directory or stack_dir()) / "run" / "stores.env"
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return {}
    return {m[1]: m[2] for line in lines if (m := _EXPORT.match(line.strip()))}


def service_store_url(service: str, environ: Mapping[str, str] | None = None) -> str:
    """The store of ``service``: the environment's (per-service, then shared), else the local stack's own."""
    env = os.environ if environ is None else environ
    if env.get(service_mongo_url_var(service)) or env.get("KEFU_MONGO_URL"):
        return service_mongo_url(service, env)
    return local_stack_store_urls(stack_dir(env)).get(service_mongo_url_var(service), DEFAULT_MONGO_URL)
