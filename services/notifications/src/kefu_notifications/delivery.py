"""The delivery loop: due messages out through their providers, each attempt once, whatever the instances.

Every instance runs it (``kit.every``). For each due attempt ``<message>|<n>`` in
the outbox an instance inserts the claim; the one whose insert succeeds sends,
records the outcome (insert-only) and settles: nothing more after a success, the
next attempt after an exponential back-off after a failure, a failed record and
``notification.failed`` after the last. The others skip it.

A claim whose outcome never came (the claimant died mid-attempt) is closed as
"interrupted" once older than the lease, and the message goes on with its next
attempt: after a crash a message may reach a provider twice (the provider got it
but the outcome was lost), never zero times; providers receive the message id to
drop such a repeat. A graceful shutdown finishes the attempts in flight first.
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import socket
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

from kefu_kit import get_logger

from .adapters.providers import Outgoing, Provider, ProviderError
from .adapters.store import NotificationStore
from .domain.retry import RetryPolicy
from .failures import FailureReporter

log = get_logger(__name__)
T = TypeVar("T")


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def instance_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


async def _finish_even_if_cancelled(work: Coroutine[Any, Any, T]) -> T:
    """Run ``work`` to its end even when the caller is cancelled (shutdown): a sent message must be recorded."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait({task})
        raise


class Deliverer:
    def __init__(self, store: NotificationStore, providers: dict[str, Provider], retry: RetryPolicy,
                 failures: FailureReporter, *, batch: int, concurrency: int, lease: timedelta,
                 instance: str | None = None, clock: Callable[[], datetime] = _utc_now) -> None:
        self.store = store
        self.providers = providers
        self.retry = retry
        self.failures = failures
        self.batch = batch
        self.concurrency = concurrency
        self.lease = lease
        self.instance = instance or instance_name()
        self.clock = clock

    async def run_once(self) -> int:
        """Deliver what is due now (one batch); how many due attempts were looked at."""
        looked, _ = await self._pass()
        return looked

    async def drain(self, max_rounds: int = 20) -> int:
        """Batch after batch while full batches are due and this instance settles some of them: a burst goes
        out at the store's pace, not one batch per loop interval (2,000 emails took 48 s that way, 20 s
        draining).
        Stops when a batch settles nothing (all of it in flight at other instances), so it never spins."""
        total = 0
        for _ in range(max_rounds):
            looked, settled = await self._pass()
            total += looked
            if looked < self.batch or settled == 0:
                break
        return total

    async def _pass(self) -> tuple[int, int]:
        due = await self.store.due(self.clock(), self.batch)
        random.shuffle(due)  # several instances then mostly start on different messages
        gate = asyncio.Semaphore(self.concurrency)

        async def one(schedule: dict[str, Any]) -> bool:
            async with gate:
                return await _finish_even_if_cancelled(self.deliver(schedule))

        results = await asyncio.gather(*(one(s) for s in due), return_exceptions=True)
        settled = 0
        for schedule, result in zip(due, results):
            if isinstance(result, asyncio.CancelledError):
                raise result
            if isinstance(result, Exception):  # the store hiccuped: the attempt stays due and is retried next run
                log.warning("delivery step failed; will retry", schedule=schedule["_id"], error=repr(result))
            elif result:
                settled += 1
        return len(due), settled

    async def deliver(self, schedule: dict[str, Any]) -> bool:
        """One due attempt: sent and settled here, or closed as interrupted; False when another instance is
        sending it right now."""
        if await self.store.claim(schedule, self.clock(), self.instance):
            outcome = await self._attempt(schedule)
        else:
            outcome = await self.store.outcome_of(schedule["_id"])
            if outcome is None:
                claim = await self.store.claim_of(schedule["_id"])
                if claim is not None and self.clock() - claim["claimed_at"] < self.lease:
                    return False  # another instance is sending it right now
                started = claim["claimed_at"] if claim else self.clock()
                outcome = await self.store.record_outcome(self._outcome(
                    schedule, started, error="interrupted: no outcome recorded within the claim lease"))
        await self._settle(schedule, outcome)
        return True

    async def _attempt(self, schedule: dict[str, Any]) -> dict[str, Any]:
        m = schedule["message"]
        started = self.clock()
        provider = self.providers.get(m["channel"])
        provider_id, error = None, None
        if provider is None:
            error = f"no provider serves channel {m['channel']!r}"
        else:
            outgoing = Outgoing(m["_id"], m["recipient"], m["channel"], m["address"], m.get("subject") or "",
                                m["text"], m["template"], m.get("case_id"))
            try:
                provider_id = await provider.send(outgoing)
            except ProviderError as exc:
                error = str(exc)
            except Exception as exc:  # a provider bug must fail the attempt, not wedge the message
                log.exception("provider raised an unexpected error", channel=m["channel"])
                error = f"{type(exc).__name__}: {exc}"
        return await self.store.record_outcome(self._outcome(schedule, started, provider_id, error))

    def _outcome(self, schedule: dict[str, Any], started: datetime, provider_id: str | None = None,
                 error: str | None = None) -> dict[str, Any]:
        return {"_id": schedule["_id"], "message_id": schedule["message_id"], "attempt": schedule["attempt"],
                "ok": error is None, "provider_message_id": provider_id, "error": error,
                "started_at": started, "finished_at": self.clock(), "instance": self.instance}

    async def _settle(self, schedule: dict[str, Any], outcome: dict[str, Any]) -> None:
        message, attempt = schedule["message"], schedule["attempt"]
        if not outcome["ok"]:
            if attempt < message["max_attempts"]:
                due = outcome["finished_at"] + self.retry.delay_after(attempt)
                await self.store.schedule(message, attempt + 1, due)
                log.info("delivery attempt failed; retrying", message_id=message["_id"], attempt=attempt,
                         retry_at=due.isoformat(), error=(outcome["error"] or "")[:300])
            else:
                await self.failures.report(message, outcome["error"] or "failed", attempt, outcome["finished_at"])
                await self.store.set_status(message, "failed")
        else:
            await self.store.set_status(message, "sent")
        await self.store.settled(schedule["_id"])  # the outbox keeps pending work only

