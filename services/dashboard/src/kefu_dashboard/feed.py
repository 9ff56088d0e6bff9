"""The live feed: every instance reads the store's ``feed`` and fans new entries out to its open streams.

Events are applied by whichever instance owns their partition, but a page may be
connected to any instance, so the entries go through the store: one poll per
instance (not per stream) reads entries recorded since its cursor minus an
overlap (writers' clocks and slow inserts), and drops the ones it already sent.
Ending the streams when the server stops is sse-starlette's (see ``api.stream``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

from kefu_kit import get_logger

from .store import CaseStore

log = get_logger(__name__)


class FeedHub:
    def __init__(self, store: CaseStore, overlap: timedelta, queue_size: int = 1000) -> None:
        self.store = store
        self.overlap = overlap
        self.queue_size = queue_size
        self.cursor = datetime.now(timezone.utc)
        self.sent: set[str] = set()
        self.streams: set[asyncio.Queue[dict[str, Any]]] = set()

    @contextmanager
    def subscribe(self) -> Iterator[asyncio.Queue[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(self.queue_size)
        self.streams.add(queue)
        try:
            yield queue
        finally:
            self.streams.discard(queue)

    async def poll(self) -> int:
        """Hand the entries recorded since the last poll to every open stream; how many were new."""
        since = self.cursor - self.overlap
        entries = await self.store.feed_since(since)
        fresh = [e for e in entries if e["_id"] not in self.sent]
        for entry in fresh:
            for queue in list(self.streams):
                if queue.full():  # a stream that does not read loses entries, never the others
                    log.warning("live stream too slow, entry dropped", entry=entry["_id"])
                    continue
                queue.put_nowait(entry)
        if entries:
            self.cursor = max(self.cursor, entries[-1]["recorded_at"])
        self.sent = {e["_id"] for e in entries if e["recorded_at"] >= self.cursor - self.overlap}
        return len(fresh)
