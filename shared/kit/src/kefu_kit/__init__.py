"""kefu's service kit: the plumbing every service shares (no entry points, no domain rules)."""

from .errors import BadMessage, is_bad_message, is_transient
from .kafka import JSON_HEADERS, ensure_topics, publish_event, publisher_for, subscriber_options
from .logging import configure_logging, get_logger
from .masking import mask_text, mask_value
from .mongo import insert_once, make_client
from .service import ServiceKit, run
from .settings import ServiceSettings

__all__ = [
    "JSON_HEADERS", "BadMessage", "ServiceKit", "ServiceSettings", "configure_logging", "ensure_topics",
    "get_logger", "insert_once", "is_bad_message", "is_transient", "make_client", "mask_text", "mask_value",
    "publish_event", "publisher_for", "run", "subscriber_options",
]
