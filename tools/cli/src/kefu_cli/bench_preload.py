"""``make bench PRELOAD=N``: N cases already stored before the measured run, seeded through the services' own code.

What is stored is what the three services would hold after they had handled the
same N calls: each call goes through intake's batch handler ``CallIntake`` (its identity,
classification and problem rules, its customer archive, contact log and problem
index), the ``case.opened`` it returns through routing's ``open_case`` (warranty,
assignment, SLA, group complaints, the case aggregate, timers, recent reports),
and each ``case.assigned`` routing publishes through notifications' ``Notifier``
and notice record. Two things make it fast (not 100k calls through a 35 calls/s
pipeline): Kafka is left out (an event a stage publishes is handed to the next
stage in-process), and the repositories run against ``bench_memstore`` (the same
documents, decided at CPU speed), which is then written to the real store in
bulk, with the indexes the services create, before the services start.

The objects are composed here as each service's ``app.py`` composes them, with
the services' default settings read from the same ``KEFU_*`` environment (the
bench namespace's databases, the per-service store URLs). Events other than
``case.assigned`` (``case.status_changed`` "assigned", escalations, group
changes) are not fed on: for new, assigned cases they change nothing that the
measured run reads.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from kefu_contracts import CASE_ASSIGNED, CallReceived, CaseAssigned, CaseOpened, Event
from pymongo import AsyncMongoClient

from .bench_memstore import MemoryDatabase, flush
from .calls_source import calls

PROGRESS_EVERY_S = 5.0


@dataclass
class SeedStats:
    """What seeding did, for the report."""

    calls: int = 0
    cases: int = 0
    follow_ups: int = 0
    notices: int = 0
    seconds: float = 0.0
    documents: int = 0
    other_events: dict[str, int] = field(default_factory=dict)

    @property
    def per_s(self) -> float:
        return self.calls / self.seconds if self.seconds else 0.0


class Seeder:
    """The three services' use cases wired together without Kafka, on the databases the services will use."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.targets: list[tuple[Any, MemoryDatabase, Any]] = []
        self.stats = SeedStats()

    def _db(self, settings: Any, ensure_indexes: Any) -> MemoryDatabase:
        memory = MemoryDatabase(settings.database)
        self.targets.append((settings, memory, ensure_indexes))
        return memory

    async def start(self) -> None:
        await self._intake()
        await self._routing()
        await self._notifications()

    async def _intake(self) -> None:
        from kefu_intake.adapters.store import (
            ContactLog, CustomerArchive, ProblemIndex, PropertyRegister, ensure_indexes)
        from kefu_intake.contacts import CallIntake
        from kefu_intake.settings import Settings

        settings = _settings(Settings, self.env)
        db = self._db(settings, ensure_indexes)
        register = PropertyRegister(db)
        await register.load()
        self.intake = CallIntake(CustomerArchive(db), ContactLog(db), ProblemIndex(db), register,
                                 timedelta(days=settings.follow_up_window_days))

    async def _routing(self) -> None:
        from kefu_routing.adapters.store import (
            CaseRepository, GroupRepository, RecentReports, TimerStore, VipStore, ensure_indexes)
        from kefu_routing.context import Routing
        from kefu_routing.domain.complaints import GroupPolicy
        from kefu_routing.opening import open_case
        from kefu_routing.settings import Settings

        settings = _settings(Settings, self.env)
        if settings.sla_file or settings.calendar_file or settings.staff_file:
            raise SystemExit("bench --preload: custom SLA/calendar/staff files are not wired into the seeder")
        db = self._db(settings, ensure_indexes)
        self.pending: list[CaseAssigned] = []
        self.routing = Routing(
            cases=CaseRepository(db, self._routed), groups=GroupRepository(db, self._routed),
            timers=TimerStore(db), vips=VipStore(db), reports=RecentReports(db),
            group_policy=GroupPolicy(settings.group_min_owners, timedelta(hours=settings.group_window_hours)),
            group_kinds=tuple(settings.group_kinds), repeat_window=timedelta(days=settings.repeat_window_days),
        )
        self.routing.workload_refresh = timedelta(seconds=settings.workload_refresh_s)
        self._open_case = open_case

    async def _notifications(self) -> None:
        from kefu_notifications.adapters.store import NotificationStore, ensure_indexes
        from kefu_notifications.app import build_providers
        from kefu_notifications.domain import recipients
        from kefu_notifications.domain.directory import default_directory, parse_directory
        from kefu_notifications.domain.keys import message_id
        from kefu_notifications.domain.quiet_hours import parse_quiet_hours
        from kefu_notifications.domain.retry import RetryPolicy
        from kefu_notifications.domain.templates import default_templates, parse_templates
        from kefu_notifications.failures import FailureReporter
        from kefu_notifications.notify import Notifier
        from kefu_notifications.settings import Settings
        import tomllib

        settings = _settings(Settings, self.env)
        db = self._db(settings, ensure_indexes)
        self.store = NotificationStore(db)

        def toml(path: Any) -> dict[str, Any]:
            return tomllib.loads(path.read_text(encoding="utf-8"))

        self.directory = (parse_directory(toml(settings.staff_directory_file))
                          if settings.staff_directory_file else default_directory())
        templates = parse_templates(toml(settings.templates_file)) if settings.templates_file else default_templates()
        retry = RetryPolicy(settings.max_attempts, timedelta(seconds=settings.retry_base_s),
                            timedelta(seconds=max(settings.retry_cap_s, settings.retry_base_s)))

        async def no_publish(_event: Event) -> None:
            return None

        self.notifier = Notifier(self.store, templates, parse_quiet_hours(settings.quiet_hours,
                                                                            settings.quiet_hours_zone),
                                 ZoneInfo(settings.template_zone), retry, set(build_providers(settings)),
                                 FailureReporter(self.store, no_publish))
        self._recipients = recipients
        self._message_id = message_id

    async def _routed(self, event: Event) -> None:
        """Routing's publish: ``case.assigned`` goes on to notifications, the rest is counted."""
        if isinstance(event, CaseAssigned):
            self.pending.append(event)
        else:
            name = type(event).__name__
            self.stats.other_events[name] = self.stats.other_events.get(name, 0) + 1

    async def _assigned(self, event: CaseAssigned) -> None:
        """What notifications' ``on_case_assigned`` handler does (kefu_notifications/app.py)."""
        at = datetime.now(timezone.utc)
        ids = await self.notifier.notify(event, CASE_ASSIGNED, self._recipients.for_case_assigned(event, self.directory),
                                         at, case_id=event.case_id)
        recipient = f"department:{event.department}"
        await self.store.record_notice({
            "_id": self._message_id(event.event_id, recipient, "inbox"), "event_id": event.event_id,
            "correlation_id": event.correlation_id, "case_id": event.case_id, "recipient": recipient,
            "department": event.department, "assignee": event.assignee, "message_ids": ids, "created_at": at,
        })
        self.stats.notices += 1

    async def one(self, call: CallReceived) -> None:
        """One call through the three stages, in order, as the pipeline would take it (intake's batch
        handler, here with a batch of one: the decisions are the same whatever the batch size)."""
        from kefu_kit.batches import Batch, Item

        batch: Batch[CallReceived] = Batch([Item(None, call)])  # type: ignore[arg-type]
        await self.intake.handle(batch)
        if batch.rejected:
            raise RuntimeError(f"intake rejected a preload call: {batch.rejected[0][1]}")
        (event,) = batch.events
        self.stats.calls += 1
        if not isinstance(event, CaseOpened):
            self.stats.follow_ups += 1
            return
        await self._open_case(event, self.routing, datetime.now(timezone.utc))
        self.stats.cases += 1
        while self.pending:
            await self._assigned(self.pending.pop())

    async def flush(self, say: Callable[[str], None]) -> int:
        """Write what was decided to each service's real database (its own server in per-service mode)."""
        written, started, last = 0, time.monotonic(), [time.monotonic()]
        total = sum(len(c) for _, memory, _ in self.targets for c in memory.collections.values())
        for settings, memory, ensure_indexes in self.targets:
            # Not kefu_kit's make_client: its j:true protects offsets committed after a write, and
            # nothing is committed here (a seeding that dies is run again), so unjournaled bulk
            # writes, which SecantusDB takes ~1.6x faster, are safe.
            client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
                settings.mongo_url, tz_aware=True, appname="kefu-bench-seed", serverSelectionTimeoutMS=5000)
            try:
                db = client[settings.database]
                await ensure_indexes(db)

                def progress(n: int, base: int = written) -> None:
                    if time.monotonic() - last[0] >= PROGRESS_EVERY_S:
                        last[0] = time.monotonic()
                        say(f"bench: preload wrote {base + n}/{total} documents after "
                            f"{last[0] - started:.0f}s")

                written += await flush(memory, db, progress=progress)
            finally:
                await client.close()
        return written


BUILDINGS_PER_BLOCK = 1000


def preload_lines(lines: list[str], count: int) -> list[str]:
    """The sample's texts from callers of their own (not the measured run's), on buildings spread out.

    The sample names a few dozen buildings. 100k cases on them within one 72-hour
    window would make group complaints (群诉) of thousands of owners each, every
    join a group revision holding the whole member list: a store no real center
    has. Each block of 1000 calls gets buildings of its own ("14幢" becomes
    "14幢-b7"), so groups stay the size the sample makes in its own run.
    """
    base = [json.loads(line) for line in lines if line.strip()]
    out = []
    for i in range(count):
        payload = dict(base[i % len(base)])
        payload["caller"] = {"name": payload["caller"].get("name"), "phone": f"137{i:08d}"}
        if payload.get("property"):
            prop = dict(payload["property"])
            prop["building"] = f"{prop.get('building') or ''}-b{i // BUILDINGS_PER_BLOCK}"
            payload["property"] = prop
        out.append(json.dumps(payload, ensure_ascii=False))
    return out


def preload_calls(lines: list[str], count: int) -> Iterator[CallReceived]:
    """The preload's calls, enveloped lazily (100k contract objects need not sit in memory at once)."""
    return calls(preload_lines(lines, count), count)


def _settings(cls: Any, env: dict[str, str]) -> Any:
    """A service's settings from the bench's environment (the same variables the service process gets)."""
    import os

    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(env)
        return cls()
    finally:
        os.environ.clear()
        os.environ.update(saved)


async def seed(env: dict[str, str], calls: Iterable[CallReceived], total: int,
               say: Callable[[str], None] = lambda s: print(s, file=sys.stderr)) -> SeedStats:
    """Decide ``total`` calls' documents in memory, then write them; a progress line every few seconds."""
    seeder = Seeder(env)
    await seeder.start()
    started = last = time.monotonic()
    for call in calls:
        await seeder.one(call)
        now = time.monotonic()
        if now - last >= PROGRESS_EVERY_S:
            done = seeder.stats.calls
            say(f"bench: preload decided {done}/{total} calls after {now - started:.0f}s "
                f"({done / (now - started):.0f}/s)")
            last = now
    decided = time.monotonic() - started
    documents = await seeder.flush(say)
    seeder.stats.seconds = time.monotonic() - started
    seeder.stats.documents = documents
    say(f"bench: preload of {total} calls took {seeder.stats.seconds:.0f}s ({decided:.0f}s deciding, "
        f"{seeder.stats.seconds - decided:.0f}s writing {documents} documents)")
    return seeder.stats
