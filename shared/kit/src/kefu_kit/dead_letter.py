"""The consumer guard: bad messages to ``<topic>.dlq``, transient failures retried, context in logs.

FastStream has no dead-letter topic for Kafka. This broker middleware wraps
every handler: a message that is not JSON or breaks its contract, or whose
handler raises an error that retrying cannot fix, is published to the
dead-letter topic with its original bytes, key and headers plus the error and
the time, then acknowledged so the partition moves on. Store or broker outages
are retried with exponential back-off and never dead-lettered.

A batch subscriber (``kefu_kit.batches``) gets the batch as one FastStream message;
the guard only binds the batch's log context for it, and the batch consumer uses
``dead_letter_record`` and ``retrying`` per record and per batch itself.
"""

from __future__ import annotations

import asyncio
import json
import traceback
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import pydantic
import structlog
from faststream import BaseMiddleware
from kefu_contracts import dlq_name
from prometheus_client import Counter

from .backoff import retry
from .errors import is_bad_message, is_transient
from .logging import get_logger

if TYPE_CHECKING:
    from aiokafka import ConsumerRecord
    from faststream.kafka import KafkaBroker
    from faststream.message import StreamMessage
    from prometheus_client import CollectorRegistry

    from .settings import ServiceSettings

log = get_logger(__name__)

# Header names on a dead-lettered message (the original headers are kept as they were).
H_ERROR = "kefu-dlq-error"
H_ERROR_TYPE = "kefu-dlq-error-type"
H_REASON = "kefu-dlq-reason"
H_FAILED_AT = "kefu-dlq-failed-at"
H_TOPIC = "kefu-dlq-original-topic"
H_PARTITION = "kefu-dlq-original-partition"
H_OFFSET = "kefu-dlq-original-offset"
H_GROUP = "kefu-dlq-consumer-group"

MAX_ERROR_CHARS = 4000


class ConsumeGuard:
    """Factory FastStream calls per message; holds what the per-message middleware needs."""

    def __init__(self, settings: "ServiceSettings", registry: "CollectorRegistry") -> None:
        self.settings = settings
        self._broker: KafkaBroker | None = None
        self.dead_lettered = Counter(
            "kefu_dead_lettered_messages", "Messages sent to a dead-letter topic", ["topic", "reason"],
            registry=registry,
        )
        self.transient_retries = Counter(
            "kefu_transient_retries", "Handler retries after a transient failure", ["topic"], registry=registry
        )

    def bind(self, broker: "KafkaBroker") -> None:
        self._broker = broker

    def __call__(self, msg: Any, /, *, context: Any) -> "_GuardMiddleware":
        return _GuardMiddleware(msg, context=context, guard=self)

    async def dead_letter(self, msg: "StreamMessage[Any]", exc: BaseException, reason: str) -> None:
        """Publish the original message with its error to the topic's DLQ, retrying until Kafka takes it."""
        await self.dead_letter_record(msg.raw_message, exc, reason)

    async def dead_letter_record(self, record: "ConsumerRecord[Any, Any]", exc: BaseException, reason: str) -> None:
        """``dead_letter`` for one Kafka record (a batch's records are dead-lettered one by one)."""
        assert self._broker is not None, "ConsumeGuard.bind(broker) was not called"
        topic = record.topic
        headers = {k: v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for k, v in (record.headers or ())}
        headers.update(
            {
                H_ERROR: _describe(exc)[:MAX_ERROR_CHARS],
                H_ERROR_TYPE: type(exc).__name__,
                H_REASON: reason,
                H_FAILED_AT: datetime.now(timezone.utc).isoformat(),
                H_TOPIC: topic,
                H_PARTITION: str(record.partition),
                H_OFFSET: str(record.offset),
                H_GROUP: self.settings.group_id,
            }
        )
        await self.retrying(
            lambda: self._broker.publish(  # type: ignore[union-attr]
                record.value if record.value is not None else b"", topic=dlq_name(topic), key=record.key, headers=headers
            ),
            topic,
        )
        self.dead_lettered.labels(topic=topic, reason=reason).inc()
        log.error("message dead-lettered", reason=reason, error_type=type(exc).__name__, error=_describe(exc)[:500])

    async def retrying(self, action: Any, topic: str) -> Any:
        """Await ``action()`` until it succeeds; transient failures back off exponentially, others raise."""

        def counted(exc: BaseException, wait_s: float, _attempt: int) -> None:
            self.transient_retries.labels(topic=topic).inc()
            log.warning("transient failure, retrying", error=repr(exc), retry_in_s=round(wait_s, 2))

        return await retry(action, initial_s=self.settings.retry_initial_s, max_s=self.settings.retry_max_s,
                           retry_on=is_transient, on_retry=counted)

    _retrying = retrying  # the name callers used before batches needed it


class _GuardMiddleware(BaseMiddleware):
    def __init__(self, msg: Any, /, *, context: Any, guard: ConsumeGuard) -> None:
        super().__init__(msg, context=context)
        self.guard = guard

    async def consume_scope(self, call_next: Any, msg: "StreamMessage[Any]") -> Any:
        record = msg.raw_message
        if isinstance(record, tuple):  # a batch: its consumer parses, retries and dead-letters per record
            return await self._batch_scope(call_next, msg, record)
        ids, json_error = _peek(msg.body)
        tokens = structlog.contextvars.bind_contextvars(
            topic=record.topic, partition=record.partition, offset=record.offset, **ids
        )
        try:
            try:
                return await self.guard.retrying(lambda: call_next(msg), record.topic)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if json_error is not None:
                    exc = json_error  # say what is really wrong, not how the model saw raw bytes
                reason = "contract" if is_bad_message(exc) else "handler_error"
                await self.guard.dead_letter(msg, exc, reason)
                return None
        finally:
            structlog.contextvars.reset_contextvars(**tokens)


    async def _batch_scope(self, call_next: Any, msg: "StreamMessage[Any]", records: tuple[Any, ...]) -> Any:
        """Bind the batch's place (topic, partitions, offsets) to every log line its handler writes."""
        first = records[0] if records else None
        tokens = structlog.contextvars.bind_contextvars(
            topic=first.topic if first else None, batch_size=len(records),
            partitions=sorted({r.partition for r in records}),
            offsets=f"{min(r.offset for r in records)}-{max(r.offset for r in records)}" if records else None,
        )
        try:
            return await call_next(msg)
        finally:
            structlog.contextvars.reset_contextvars(**tokens)


def _peek(body: bytes) -> tuple[dict[str, str], ValueError | None]:
    """(event_id and correlation_id for the log context, the JSON error if the body is not JSON)."""
    try:
        data = json.loads(body)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        return {}, exc
    if not isinstance(data, dict):
        return {}, None
    return {k: str(data[k])[:128] for k in ("event_id", "correlation_id") if data.get(k)}, None


def _describe(exc: BaseException) -> str:
    """A one-paragraph error for the dead-letter header: what is wrong and where."""
    if isinstance(exc, pydantic.ValidationError):
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'][1:]) or '(body)'}: {err['msg']}"
            for err in exc.errors(include_url=False, include_input=False)
        )
        return f"contract violation: {problems}"
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON: {exc}"
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8: {exc}"
    if is_bad_message(exc):
        return f"{type(exc).__name__}: {exc}"
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()
