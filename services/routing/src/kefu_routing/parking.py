"""Events that arrive before their case: held, then applied when the case appears.

Intake publishes ``case.opened`` and ``case.followed_up`` on different topics;
surveys publish ``survey.answered`` keyed by customer. Kafka orders none of them
against each other, so routing can consume a follow-up or an answer before the
case it is about. A dead letter is no answer to that normal race: the event is
parked (``adapters.parked``) and applied once the case exists, so the result is
the one in-order delivery gives (the same level, the same follow-ups, one
``repeat_complaint`` escalation per complaint follow-up).

* Parking is idempotent: ``_id`` is the event id, so a redelivery parks once.
* Every path that creates a case (one at a time and in batches) applies its parked
  events afterwards, in their original order (``occurred_at``, then event id), then
  deletes them. Each application is idempotent through the case itself (its
  ``applied`` list), so applying twice (two paths, a crash before the delete)
  changes nothing the second time.
* The race "case created between the not-found and the park": after parking, the
  parker looks for the case again and applies what is parked if it exists now.
* A batch of follow-ups or answers first applies what is parked for its cases (one read):
  a newer event about a case that appeared since must not overtake the older parked ones.
* A parked event whose case never appears is dead-lettered after ``max_age`` by a
  periodic loop (``expire``), with an error that says so; before that, the loop
  applies instead what finds its case by then (a process that died between
  creating a case and applying its parked events).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from kefu_contracts import CASE_FOLLOWED_UP, SURVEY_ANSWERED, TOPICS, Event
from kefu_kit import get_logger, is_transient
from kefu_kit.aggregates import NotFound
from kefu_kit.batches import Item, for_each_key
from prometheus_client import CollectorRegistry, Counter, Gauge

from . import reactions
from .adapters.parked import ParkedStore

if TYPE_CHECKING:
    from .context import Routing

log = get_logger(__name__)

# What each parkable topic does to its case once the case exists (each idempotent per event id).
APPLY: dict[str, Callable[[Any, "Routing", datetime], Awaitable[None]]] = {
    CASE_FOLLOWED_UP: reactions.follow_up,
    SURVEY_ANSWERED: reactions.survey_answered,
}

DeadLetter = Callable[[Any, BaseException, str], Awaitable[None]]


class ParkedTooLong(Exception):
    """A parked event's case did not appear within the allowed time."""


@dataclass(frozen=True)
class StoredRecord:
    """A parked event's original Kafka record, as the dead-letter publisher reads one."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]


def parked_doc(topic: str, case_id: str, event: Event, record: Any, now: datetime) -> dict[str, Any]:
    """What is stored for an early event: enough to apply it later and to dead-letter it as it came."""
    return {
        "_id": event.event_id, "aggregate_id": case_id, "topic": topic, "occurred_at": event.occurred_at,
        "parked_at": now,
        "record": {"topic": record.topic, "partition": record.partition, "offset": record.offset,
                   "key": record.key, "value": record.value if record.value is not None else b"",
                   "headers": [[k, v] for k, v in (record.headers or ())]},
    }


def stored_record(doc: dict[str, Any]) -> StoredRecord:
    rec = doc["record"]
    return StoredRecord(rec["topic"], rec["partition"], rec["offset"], rec.get("key"), rec["value"],
                        tuple((k, v) for k, v in rec.get("headers", [])))


def application_order(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Parked events in the order they happened (``occurred_at``, then event id: a stable tie-break)."""
    return sorted(docs, key=lambda d: (d["occurred_at"], d["_id"]))


def by_case(docs: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Parked events grouped by their case, each group in ``application_order``."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for doc in application_order(docs):
        groups.setdefault(doc["aggregate_id"], []).append(doc)
    return groups


class Parking:
    """The parked events of one routing instance's store, with their metrics."""

    def __init__(self, store: ParkedStore, registry: CollectorRegistry, dead_letter: DeadLetter,
                 max_age: timedelta, concurrency: int = 16) -> None:
        self.store, self.dead_letter, self.max_age, self.concurrency = store, dead_letter, max_age, concurrency
        self.parked_total = Counter("kefu_routing_parked", "Events parked because their case did not exist yet",
                                    ["topic"], registry=registry)
        self.expired_total = Counter("kefu_routing_parked_expired",
                                     "Parked events dead-lettered because their case never appeared", ["topic"],
                                     registry=registry)
        self.parked_now = Gauge("kefu_routing_parked_events", "Events parked now, waiting for their case",
                                registry=registry)

    async def park(self, r: "Routing", topic: str, case_id: str, item: Item[Any], now: datetime) -> None:
        """Hold ``item`` until its case exists; apply it at once if the case appeared meanwhile."""
        if await self.store.park(parked_doc(topic, case_id, item.event, item.record, now)):
            self.parked_total.labels(topic=topic).inc()
            log.info("event parked until its case exists", case_id=case_id, topic=topic)
        if await r.cases.get(case_id) is not None:  # created between our not-found and the park
            await self.apply_for(r, [case_id], now)

    async def apply_for(self, r: "Routing", case_ids: list[str], now: datetime) -> int:
        """Apply the events parked for those of ``case_ids`` that exist, each case's in order; delete them."""
        groups = by_case(await self.store.for_cases(case_ids))
        if not groups:
            return 0

        async def apply_case(docs: list[dict[str, Any]]) -> None:
            for doc in docs:
                await self._apply(r, doc, now)

        await for_each_key(list(groups.values()), lambda docs: docs[0]["aggregate_id"], apply_case,
                           concurrency=self.concurrency)
        return sum(len(docs) for docs in groups.values())

    async def _apply(self, r: "Routing", doc: dict[str, Any], now: datetime) -> None:
        event = TOPICS[doc["topic"]].model.model_validate_json(doc["record"]["value"])
        try:
            await APPLY[doc["topic"]](event, r, now)
        except NotFound:
            return  # its case is not there (yet): it stays parked
        except Exception as exc:
            if is_transient(exc):
                raise  # the caller's batch is retried; the event stays parked
            # the case exists, the event cannot be applied: as a consumer would, dead-letter it (never the
            # case.opened whose creation brought it here) and go on
            await self.dead_letter(stored_record(doc), exc, "handler_error")
        await self.store.remove(doc["_id"])

    async def expire(self, r: "Routing", now: datetime) -> int:
        """Dead-letter parked events older than ``max_age`` whose case never came; returns how many."""
        expired = 0
        for doc in await self.store.older_than(now - self.max_age):
            if await r.cases.get(doc["aggregate_id"]) is not None:
                await self.apply_for(r, [doc["aggregate_id"]], now)
                continue
            error = ParkedTooLong(
                f"{doc['topic']} {doc['_id']} is about case {doc['aggregate_id']}, which routing still does not "
                f"know {self.max_age.total_seconds():g} s after the event was parked ({doc['parked_at'].isoformat()})")
            await self.dead_letter(stored_record(doc), error, "parked_expired")
            await self.store.remove(doc["_id"])
            self.expired_total.labels(topic=doc["topic"]).inc()
            expired += 1
        self.parked_now.set(await self.store.count())
        return expired
