"""Routing's subscriptions, a batch at a time (``kefu_kit.batches``).

One event at a time, routing waited for a store round trip per step of each case
(about a dozen per new case) and a broker ack per event: latency-bound. A batch
holds many cases, so their steps run concurrently (``for_each_key``), keyed by
the contract's Kafka key: a case's events are applied one after the other, in
the order Kafka kept for them, while different cases overlap. That is no new
race: several routing instances already change cases and groups at once, safely,
through the aggregate store's revision claims.

Opening cases goes in phases, each over the whole batch, so the batch reads and
writes what it can in one go:

1. the cases already stored (redeliveries) in one ``$in`` read, the oldest-case
   mark lowered once; then each new case decided (warranty, department, person,
   level, deadlines: reads only, cases at once) and all of them created in one
   ``create_many`` (revision claims, snapshots and outbox in bulk commands);
2. the recent reports and deadline timers of all of them, in two bulk inserts
   (after every case exists: a report can name a group's lead case);
3. group complaints (群诉), keyed by building and category: a building's cases
   together (``detect_groups``: one read of its active group, the cases that join it
   decided in memory), buildings concurrently; the last joins of every building then
   in one go (``GroupJoins``: one bulk change of all the groups, one of all their
   members, one insert of the members' deadlines); then batch-defect signals, the in-unit repairs of each building
   and category together (one read of its reports and signals, decided in pure
   code: ``batch_defects``), every building's new signals created in one
   ``create_many``, each once;
4. the events that came before their case (follow-ups, survey answers: other
   topics, so no order against ``case.opened``), parked until now (``parking``),
   applied to each case in their order, once, in one read for the batch. Last, so
   they find the case as in-order delivery would have: assigned, grouped.

A follow-up or an answer whose case does not exist yet is parked, not
dead-lettered: it is a normal race, not bad input.

Events still go out through the aggregate store, which publishes right after its
claim and keeps them in its outbox until Kafka acknowledged them: deferring them
to the batch's ``publish`` would delete the outbox entry before the event is
safe. Concurrency overlaps those acks. Every step is idempotent, so a redelivered
batch (killed before its commit) changes nothing and republishes nothing new.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from kefu_contracts import (
    CASE_FOLLOWED_UP,
    SURVEY_ANSWERED,
    CaseFollowedUp,
    CaseOpened,
    MemberTierChanged,
    SurveyAnswered,
)
from kefu_kit.aggregates import NotFound
from kefu_kit.batches import Batch, Item, for_each_key

from . import reactions
from .batch_defects import batch_key, create_signals, new_signals
from .context import Routing
from .domain.case import Case
from .opening import (
    GroupJoins,
    building_group_key,
    deadline_timers,
    detect_groups,
    needs_group_check,
    new_case,
    read_for_opening,
)
from .refs import case_ref

Clock = Callable[[], datetime]


def _by_kafka_key(item: Item[Any]) -> str:
    return item.event.kafka_key()


class BatchHandlers:
    """The four subscriptions' batch handlers, over one ``Routing``; ``concurrency``: keys at once."""

    def __init__(self, r: Routing, now: Clock, concurrency: int) -> None:
        self.r, self.now, self.concurrency = r, now, concurrency

    async def cases_opened(self, batch: Batch[CaseOpened]) -> None:
        r = self.r
        events = batch.events_in
        stored = await r.cases.get_cases([e.case_id for e in events])
        new = [e for e in events if e.case_id not in stored]
        if new:
            await r.cases.mark_opened(min(e.occurred_at for e in new))

        firsts: dict[str, CaseOpened] = {}
        for event in new:  # a redelivered copy in the same batch opens nothing more
            firsts.setdefault(event.case_id, event)
        reads = await read_for_opening(list(firsts.values()), r)

        async def decide(event: CaseOpened) -> tuple[Case, list[Any]]:
            return await new_case(event, r, self.now(), reads)

        decided = await for_each_key(list(firsts.values()), lambda e: e.case_id, decide, concurrency=self.concurrency)
        # the oldest-case mark was lowered above, before any of them exists (``CaseRepository.create``)
        created = {case.id: case for case, _ in await r.cases.create_cases(decided)}
        cases = list({e.case_id: stored.get(e.case_id) or created[e.case_id] for e in events}.values())
        await r.reports.add_many([case_ref(case) for case in cases])
        await r.timers.schedule_many([t for case in cases for t in deadline_timers(case)])

        by_building: dict[str, list[Case]] = {}
        for case in cases:
            if needs_group_check(case, r) and (key := building_group_key(case)) is not None:
                by_building.setdefault(key, []).append(case)

        joins = GroupJoins()

        async def group(item: tuple[str, list[Case]]) -> None:
            await detect_groups(item[1], r, self.now(), joins)

        await for_each_key(list(by_building.items()), lambda item: item[0], group, concurrency=self.concurrency)
        await joins.write(r, self.now())
        if r.signals is not None:
            suspects: dict[str, list[Case]] = {}
            for case in cases:
                if (key := batch_key(case, r)) is not None:
                    suspects.setdefault(key, []).append(case)

            decided: list[tuple[dict[str, Any], list[Any]]] = []

            async def signal(item: tuple[str, list[Case]]) -> None:
                decided.extend(await new_signals(item[1], r, self.now()))

            await for_each_key(list(suspects.items()), lambda item: item[0], signal, concurrency=self.concurrency)
            await create_signals(decided, r)  # every building's new signals in one go
        if r.parking is not None:  # redeliveries too: a crash may have come between the create and this
            await r.parking.apply_for(r, [c.id for c in cases], self.now())

    async def cases_followed_up(self, batch: Batch[CaseFollowedUp]) -> None:
        await self._parked_first(batch)

        async def one(item: Item[CaseFollowedUp]) -> None:
            try:
                await reactions.follow_up(item.event, self.r, self.now())
            except NotFound as exc:
                await self._park_or_reject(batch, CASE_FOLLOWED_UP, item.event.case_id, item, exc)

        await for_each_key(batch.items, _by_kafka_key, one, concurrency=self.concurrency)

    async def surveys_answered(self, batch: Batch[SurveyAnswered]) -> None:
        await self._parked_first(batch)

        async def one(item: Item[SurveyAnswered]) -> None:
            try:
                await reactions.survey_answered(item.event, self.r, self.now())
            except NotFound as exc:
                assert item.event.case_id  # an answer without a case is not about one: never NotFound
                await self._park_or_reject(batch, SURVEY_ANSWERED, item.event.case_id, item, exc)

        await for_each_key(batch.items, _by_kafka_key, one, concurrency=self.concurrency)

    async def _parked_first(self, batch: Batch[Any]) -> None:
        """Events parked for the batch's cases that exist by now go first: they are older than the batch's."""
        ids = [e.case_id for e in batch.events_in if e.case_id]
        if self.r.parking is not None and ids:
            await self.r.parking.apply_for(self.r, ids, self.now())

    async def _park_or_reject(self, batch: Batch[Any], topic: str, case_id: str, item: Item[Any],
                              exc: NotFound) -> None:
        """Its case is not here yet: park it; without parking (a tool's Routing), dead-letter it as before."""
        if self.r.parking is None:
            batch.reject(item, exc)
            return
        await self.r.parking.park(self.r, topic, case_id, item, self.now())

    async def tiers_changed(self, batch: Batch[MemberTierChanged]) -> None:
        async def one(item: Item[MemberTierChanged]) -> None:
            await reactions.tier_changed(item.event, self.r)

        await for_each_key(batch.items, _by_kafka_key, one, concurrency=self.concurrency)
