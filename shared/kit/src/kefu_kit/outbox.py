"""Events a store owes the broker: one way to keep them in a document, one relay for what a writer left.

A writer that must publish because of a store write keeps the events in the store
first (in an entry written before, or with, its change), publishes them, then settles
the entry (deletes it or marks it sent). A writer that dies in between leaves the entry;
a relay loop publishes the entries still there after a while and settles them. That
is at-least-once: a relayed event can be a repeat of one the writer did publish just
before dying, and event ids are deterministic, so consumers drop repeats.

Where the entry lives is the store's business, because it is what makes the write and
the entry one: ``AggregateStore``'s ``<name>_outbox`` documents (the events of a revision
claim, checked against the claim's token), surveys' claims that carry their one event
(an answer is its own outbox entry), and the ``survey.due`` embedded in its survey
(written by the same conditional update that takes the survey's step). They share two
things, here: the encoding of an owed event (``{"topic", "event"}``, stored as such in
every one of those shapes, so documents already in databases still decode) and the
relay routine, which each store drives with its own "which are due", "events of an
entry" and "settle".
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from kefu_contracts import TOPICS, Event

from .kafka import Publish, publish_all
from .logging import get_logger

log = get_logger(__name__)

Entry = TypeVar("Entry")

_TOPIC_OF: dict[type[Event], str] = {spec.model: name for name, spec in TOPICS.items()}


def topic_of(event: Event) -> str:
    """The logical topic of a contract event (its exact model's; a subclass is not a contract event)."""
    try:
        return _TOPIC_OF[type(event)]
    except KeyError:
        raise KeyError(f"{type(event).__name__} is not a contract event") from None


def encode(event: Event) -> dict[str, Any]:
    """An owed event as stored: its topic and its JSON form (what ``decode`` reads back)."""
    return {"topic": topic_of(event), "event": event.model_dump(mode="json")}


def decode(doc: dict[str, Any]) -> Event:
    """The event ``encode`` stored; ``doc`` may carry other fields (a claim's, an entry's) next to those two."""
    return TOPICS[doc["topic"]].model.model_validate(doc["event"])


async def relay(
    what: str,
    due: Callable[[], Awaitable[Sequence[Entry]]],
    events_of: Callable[[Entry], Awaitable[Sequence[Event]]],
    settle: Callable[[Entry], Awaitable[None]],
    publish: Publish,
    since: Callable[[Entry], datetime] | None = None,
) -> int:
    """Publish the events of every entry ``due`` finds, each entry's in order, then ``settle`` it; how many events.

    Entries go one at a time, in the order ``due`` gives, and an entry is settled only
    once all its events were published: a relay that dies half-way leaves the rest (and
    the entry it was in) to the next run. ``events_of`` may say an entry owes nothing
    (the claim it was written for failed): it is settled without a publish. One
    warning per run that found any (``what`` names the outbox; ``since``, when given,
    the time each entry dates from, for the oldest): a writer died or is very late.
    """
    entries = await due()
    published = owed_nothing = 0
    for entry in entries:
        events = await events_of(entry)
        await publish_all(publish, events)
        published += len(events)
        owed_nothing += not events
        await settle(entry)
    if entries:
        oldest = {"oldest": str(min(since(e) for e in entries))} if since else {}
        log.warning("outbox relay settled entries a writer left", outbox=what, entries=len(entries),
                    events=published, owed_nothing=owed_nothing, **oldest)
    return published
