"""Batch consumption: a handler gets many records at once, so its store I/O is per batch, not per message.

One message at a time, a handler pays a store round trip per read and per write
and a broker round trip per publish; the service is latency-bound (about 35
calls/s while the machine idles). On a batch, a handler reads the state it needs
with one query per collection, decides in pure code, writes in bulk, and this
module publishes every event it owes (all sent, then all acks awaited) before the
batch's offsets are committed.

What stays as on the per-message path (``dead_letter.ConsumeGuard``):

* every record is parsed and validated on its own; one that is not JSON, breaks its
  contract, or that the handler rejects (``Batch.reject`` with a ``BadMessage``)
  goes to ``<topic>.dlq`` through the guard, and the rest of the batch goes on;
* a transient failure (store or broker outage) retries the whole batch with the
  guard's back-off and is never dead-lettered; any other error isolates the
  culprit: the batch is handled again one record at a time, in order, and only the
  record that still fails is dead-lettered (``handler_error``);
* offsets are committed (FastStream acks the batch when the handler returns) only
  after all effects, publishes and dead letters: at-least-once, so handlers must be
  idempotent and a redelivered batch must republish the same event ids;
* records of a partition arrive in order and are handed over in that order.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import pydantic
from pydantic import SkipValidation
import structlog
from kefu_contracts import TOPICS, Event
from prometheus_client import Counter, Histogram

from .dead_letter import _peek
from .errors import is_bad_message, is_transient
from .kafka import EventPublisher, publisher_for, subscriber_options
from .logging import get_logger

if TYPE_CHECKING:
    from aiokafka import ConsumerRecord
    from prometheus_client import CollectorRegistry

    from .service import ServiceKit

log = get_logger(__name__)

M = TypeVar("M", bound=Event)


@dataclass(frozen=True)
class Item(Generic[M]):
    """One valid record of a batch: its contract event and where it came from."""

    record: "ConsumerRecord[Any, Any]"
    event: M


@dataclass
class Batch(Generic[M]):
    """What a batch handler works on: the valid records in consumption order, and what it owes.

    The handler calls ``publish`` for every event its effects lead to and ``reject``
    for a record it cannot handle (a ``BadMessage``); both take effect only after
    the handler returned, and only if it did not fail.
    """

    items: list[Item[M]]
    events: list[Event] = field(default_factory=list)
    rejected: list[tuple[Item[M], BaseException]] = field(default_factory=list)

    def publish(self, event: Event) -> None:
        self.events.append(event)

    def reject(self, item: Item[M], error: BaseException) -> None:
        self.rejected.append((item, error))

    @property
    def events_in(self) -> list[M]:
        return [item.event for item in self.items]


BatchHandler = Callable[[Batch[M]], Awaitable[None]]

T = TypeVar("T")
R = TypeVar("R")


async def for_each_key(
    items: Sequence[T], key: Callable[[T], str], fn: Callable[[T], Awaitable[R]], *, concurrency: int = 16,
) -> list[R]:
    """``fn`` over ``items`` grouped by ``key``: a group's items one after the other in their order,
    different groups concurrently (at most ``concurrency`` at once). Returns the results in item order.

    Why: a batch holds many aggregates, and one at a time its handler waits for a store
    round trip per step of each; the records of one key (a case's events) must still be
    applied in the order Kafka kept for them. When an item fails, the later items of its
    group are not run (they would be applied out of order); the other groups run to their
    end, so one failing key costs the rest of the batch no work that a retry must redo
    wastefully. Then the error is raised: a non-transient one before a transient one (it
    is what the batch consumer must isolate; a transient failure is retried per record
    there too), else the first in item order.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    groups: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        groups.setdefault(key(item), []).append(index)
    results: list[Any] = [None] * len(items)
    failures: list[tuple[int, BaseException]] = []
    gate = asyncio.Semaphore(concurrency)

    async def run(indexes: list[int]) -> None:
        async with gate:
            for index in indexes:
                try:
                    results[index] = await fn(items[index])
                except Exception as exc:
                    failures.append((index, exc))
                    return

    await asyncio.gather(*(run(indexes) for indexes in groups.values()))
    if failures:
        failures.sort(key=lambda f: (is_transient(f[1]), f[0]))
        raise failures[0][1]
    return results


class _Metrics:
    """Batch sizes and isolations, in the service's registry (one set per registry)."""

    _by_registry: "weakref.WeakKeyDictionary[CollectorRegistry, _Metrics]" = weakref.WeakKeyDictionary()

    def __init__(self, registry: "CollectorRegistry") -> None:
        self.size = Histogram("kefu_batch_records", "Records per consumed batch", ["topic"], registry=registry,
                              buckets=(1, 5, 10, 25, 50, 100, 250, 500, 1000))
        self.seconds = Histogram("kefu_batch_seconds", "Time to handle a batch, publishes included", ["topic"],
                                 registry=registry, buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
        self.isolations = Counter("kefu_batch_isolations", "Batches handled again record by record after an error",
                                  ["topic"], registry=registry)

    @classmethod
    def of(cls, registry: "CollectorRegistry") -> "_Metrics":
        if registry not in cls._by_registry:
            cls._by_registry[registry] = cls(registry)
        return cls._by_registry[registry]


class BatchConsumer(Generic[M]):
    """Runs one batch handler for one contract topic (see the module docstring for the guarantees)."""

    def __init__(self, kit: "ServiceKit", logical_topic: str, handler: BatchHandler[M],
                 publisher: EventPublisher) -> None:
        self.kit = kit
        self.topic = kit.settings.topics(logical_topic)
        self.model: type[M] = TOPICS[logical_topic].model  # type: ignore[assignment]
        self.handler = handler
        self.publisher = publisher
        self.metrics = _Metrics.of(kit.registry)

    async def consume(self, records: Sequence["ConsumerRecord[Any, Any]"]) -> None:
        started = time.perf_counter()
        items, bad = self.parse(records)
        rejected = await self._handle(items) if items else []
        for record, error in [*bad, *((item.record, exc) for item, exc in rejected)]:
            await self._dead_letter(record, error)
        self.metrics.size.labels(topic=self.topic).observe(len(records))
        self.metrics.seconds.labels(topic=self.topic).observe(time.perf_counter() - started)
        log.debug("batch handled", records=len(records), valid=len(items), dead_lettered=len(bad) + len(rejected))

    def parse(self, records: Iterable["ConsumerRecord[Any, Any]"]) -> tuple[list[Item[M]], list[tuple[Any, BaseException]]]:
        """Each record on its own: (valid items in order, (record, error) of those that break the contract)."""
        items: list[Item[M]] = []
        bad: list[tuple[Any, BaseException]] = []
        for record in records:
            value = record.value if record.value is not None else b""
            try:
                items.append(Item(record, self.model.model_validate_json(value)))
            except pydantic.ValidationError as exc:
                _, json_error = _peek(value)
                bad.append((record, json_error if json_error is not None else _as_handler_argument(exc)))
        return items, bad

    async def _handle(self, items: list[Item[M]]) -> list[tuple[Item[M], BaseException]]:
        """Handle ``items`` (retrying transient failures); a bug isolates its record. Returns the rejected."""
        try:
            return await self.kit.guard.retrying(lambda: self._attempt(items), self.topic)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if len(items) == 1:
                return [(items[0], exc)]
            self.metrics.isolations.labels(topic=self.topic).inc()
            log.warning("batch failed; handling its records one by one", error_type=type(exc).__name__,
                        error=repr(exc)[:500], records=len(items))
            rejected: list[tuple[Item[M], BaseException]] = []
            for item in items:
                rejected.extend(await self._handle([item]))
            return rejected

    async def _attempt(self, items: list[Item[M]]) -> list[tuple[Item[M], BaseException]]:
        batch: Batch[M] = Batch(list(items))
        await self.handler(batch)
        await self.publisher.publish_all(batch.events)
        return batch.rejected

    async def _dead_letter(self, record: "ConsumerRecord[Any, Any]", error: BaseException) -> None:
        ids, _ = _peek(record.value or b"")
        tokens = structlog.contextvars.bind_contextvars(partition=record.partition, offset=record.offset, **ids)
        try:
            await self.kit.guard.dead_letter_record(record, error, "contract" if is_bad_message(error) else
                                                    "handler_error")
        finally:
            structlog.contextvars.reset_contextvars(**tokens)


def _as_handler_argument(exc: pydantic.ValidationError) -> pydantic.ValidationError:
    """The error as FastStream reports it for a per-message handler (its argument first in each location),
    so dead-letter headers read the same on both paths ("channel: ...", not "(body): ...")."""
    try:
        return pydantic.ValidationError.from_exception_data(exc.title, [
            {"type": e["type"], "loc": ("record", *e["loc"]), "input": e.get("input"),
             **({"ctx": e["ctx"]} if "ctx" in e else {})}
            for e in exc.errors(include_url=False)
        ])
    except Exception:  # an error type pydantic cannot rebuild: the original, with its own locations
        return exc


async def _records(msg: Any) -> tuple[Any, ...]:
    """Decoder of a batch subscriber: the raw records, so each is parsed (and can fail) on its own.

    A coroutine on purpose: FastStream runs a plain function decoder in a worker thread
    (``to_async``), a thread hop per batch (py-spy showed it on every batch; the CPU per
    call it cost was within the bench's noise)."""
    return tuple(msg.raw_message)


def subscribe_batches(
    kit: "ServiceKit", logical_topic: str, *, publishes: Sequence[str] = (), max_records: int = 500,
    batch_timeout_ms: int = 20, title: str | None = None,
) -> Callable[[BatchHandler[M]], BatchConsumer[M]]:
    """Decorator: consume ``logical_topic`` in batches of up to ``max_records`` with the decorated handler.

    ``publishes``: the contract topics the handler's events go to (documented publishers).
    ``batch_timeout_ms``: how long a poll waits for records when none are buffered.
    """
    spec = TOPICS[logical_topic]
    publisher = EventPublisher({TOPICS[name].model: publisher_for(kit.broker, kit.settings, name)
                                for name in publishes})

    def register(handler: BatchHandler[M]) -> BatchConsumer[M]:
        consumer: BatchConsumer[M] = BatchConsumer(kit, logical_topic, handler, publisher)

        async def consume(records: Any) -> None:
            await consumer.consume(records)

        # Documented as a list of the contract model (AsyncAPI), handed over unvalidated: the raw records.
        consume.__annotations__ = {"records": SkipValidation[list[spec.model]], "return": None}  # type: ignore[name-defined]
        consume.__name__ = handler.__name__
        consume.__doc__ = handler.__doc__
        kit.broker.subscriber(
            kit.settings.topics(logical_topic), batch=True, max_records=max_records,
            batch_timeout_ms=batch_timeout_ms, decoder=_records, title=title,
            description=f"{spec.description}. Key: {spec.key}. Consumed in batches of up to {max_records}.",
            **subscriber_options(kit.settings),
        )(consume)
        return consumer

    return register
