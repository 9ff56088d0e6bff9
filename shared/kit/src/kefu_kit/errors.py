"""Which failures are the message's fault and which are the infrastructure's.

A bad message goes to the dead-letter topic and the partition moves on; a
transient failure (store or broker unreachable) is retried with back-off and
never dead-lettered, because the next message would fail the same way.
"""

from __future__ import annotations

import json

import pydantic
from aiokafka import errors as kafka_errors
from pymongo import errors as mongo_errors


class BadMessage(Exception):
    """The message breaks the contract in a way the model alone cannot see."""


_TRANSIENT_MONGO = (
    mongo_errors.ConnectionFailure,  # AutoReconnect, NetworkTimeout, ServerSelectionTimeoutError
    mongo_errors.ExecutionTimeout,
    mongo_errors.WTimeoutError,
)
_TRANSIENT_KAFKA = (
    kafka_errors.KafkaConnectionError,
    kafka_errors.KafkaTimeoutError,
    kafka_errors.NodeNotReadyError,
    kafka_errors.RequestTimedOutError,
    kafka_errors.NotLeaderForPartitionError,
    kafka_errors.LeaderNotAvailableError,
    kafka_errors.UnknownTopicOrPartitionError,
)


def is_transient(exc: BaseException) -> bool:
    """True when retrying later can succeed without anyone changing the message."""
    from .aggregates import ConcurrentChange  # a burst of writers on one aggregate passes

    if isinstance(exc, (*_TRANSIENT_MONGO, *_TRANSIENT_KAFKA, ConcurrentChange)):
        return True
    if isinstance(exc, kafka_errors.KafkaError) and getattr(exc, "retriable", False):
        return True
    if isinstance(exc, mongo_errors.PyMongoError) and exc.has_error_label("RetryableWriteError"):
        return True
    return isinstance(exc, (ConnectionError, TimeoutError))


def is_bad_message(exc: BaseException) -> bool:
    """True when the message itself is at fault (not JSON, or breaks the contract)."""
    return isinstance(exc, (pydantic.ValidationError, BadMessage, json.JSONDecodeError, UnicodeDecodeError))
