"""kefu's service kit: the plumbing every service shares (no entry points, no domain rules).

Names are imported on first use (PEP 562): a command line tool that needs only
``kefu_kit.lag`` or ``kefu_kit.masking`` does not pay for FastStream, FastAPI and
PyMongo at start (seconds on a small machine).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_WHERE = {
    "BadMessage": "errors", "is_bad_message": "errors", "is_transient": "errors",
    "JSON_HEADERS": "kafka", "ensure_topics": "kafka", "publish_event": "kafka", "publish_all": "kafka", "send_event": "kafka", "publisher_for": "kafka",
    "subscriber_options": "kafka",
    "configure_logging": "logging", "get_logger": "logging",
    "mask_text": "masking", "mask_value": "masking",
    "insert_once": "mongo", "insert_new": "mongo", "insert_each": "mongo", "upsert_each": "mongo",
    "make_client": "mongo", "find_in": "mongo",
    "Batch": "batches", "BatchConsumer": "batches", "EventPublisher": "kafka", "Item": "batches",
    "subscribe_batches": "batches",
    "ServiceKit": "service", "run": "service",
    "ServiceSettings": "settings",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'kefu_kit' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:  # for type checkers and editors: the same names, eagerly
    from .errors import BadMessage, is_bad_message, is_transient
    from .kafka import JSON_HEADERS, EventPublisher, ensure_topics, publish_all, publish_event, publisher_for, send_event, subscriber_options
    from .logging import configure_logging, get_logger
    from .masking import mask_text, mask_value
    from .batches import Batch, BatchConsumer, Item, subscribe_batches
    from .mongo import find_in, insert_each, insert_new, insert_once, make_client, upsert_each
    from .service import ServiceKit, run
    from .settings import ServiceSettings
