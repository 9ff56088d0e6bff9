"""Periodic satisfaction campaigns (每半年至少一次客户意见调查): many owners, published at a bounded rate.

A campaign is an aggregate (the pacer of every instance and the pause/resume API
change it): each claim takes the next owners and their send slots (``domain.pacing``)
by claiming the campaign's next revision, so instances never take the same owners.
The winner stores the owners' surveys and their ``survey.due`` events in the outbox
(ids derived from campaign and customer: each owner's survey is published once) and
publishes each at its slot; the next claim also re-stores the previous batch, so a
writer that died between its claim and its writes loses nothing, and the relay
publishes what it stored but did not send.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import deque
from datetime import datetime, timedelta, timezone
from typing import Any

from kefu_contracts import derived_event_id
from kefu_kit import get_logger
from kefu_kit.aggregates import Change

from .adapters.store import DueOutbox, Owed
from .answers import new_link
from .context import Surveys
from .domain.pacing import Claim, next_claim, paced_elsewhere
from .domain.surveys import Contact, campaign_survey
from .events import survey_due

log = get_logger(__name__)
KIND = "periodic_satisfaction"


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


async def create(r: Surveys, project: str, questionnaire_id: str, rate_per_minute: float,
                 owners: list[dict[str, Any]], now: datetime, name: str | None = None) -> dict[str, Any]:
    """Store the campaign and its owners (each customer once) and start it."""
    campaign_id = "cmp-" + secrets.token_hex(8)
    unique: dict[str, dict[str, Any]] = {}
    for owner in owners:
        unique.setdefault(owner["customer_id"], owner)
    docs = [{"_id": f"{campaign_id}|{i:07d}", "campaign_id": campaign_id, "idx": i, "customer": owner}
            for i, owner in enumerate(unique.values())]
    await r.campaigns.add_owners(docs)
    state = {"_id": campaign_id, "name": name or f"{project} {now:%Y-%m}", "project": project,
             "questionnaire_id": questionnaire_id, "rate_per_minute": rate_per_minute, "total": len(docs),
             "cursor": 0, "next_slot_at": None, "state": "running", "created_at": now, "batch": None,
             "previous_batch": None, "history": [{"at": now, "state": "running"}]}
    created, _ = await r.campaigns.create(state, [])
    log.info("campaign started", campaign_id=campaign_id, owners=len(docs), rate_per_minute=rate_per_minute)
    return created


async def set_state(r: Surveys, campaign_id: str, target: str, now: datetime) -> dict[str, Any]:
    """Pause or resume; pausing a finished campaign changes nothing."""
    def change(c: dict[str, Any]) -> Change | None:
        if c["state"] == target or c["state"] == "done":
            return None
        c["state"] = target
        c["history"].append({"at": now, "state": target})
        return Change(c)

    return await r.campaigns.mutate(campaign_id, change)


async def progress(r: Surveys, campaign: dict[str, Any]) -> dict[str, Any]:
    cid = campaign["_id"]
    counted = await r.counts.of(cid)
    published, answered = counted["published"], counted["answered"]
    keep = ("name", "project", "questionnaire_id", "rate_per_minute", "total", "state", "created_at", "history")
    return {"campaign_id": cid, **{k: campaign[k] for k in keep}, "claimed": campaign["cursor"],
            "published": published, "answered": answered}


MARK_EVERY = 25  # surveys published before they are marked sent at the latest


class Pacer:
    """Claims each running campaign's next slots and publishes them at their times, in the background.

    Claiming ``ahead`` (half a horizon) of the slots while the previous batch is still
    being published keeps the slots continuous: the campaign runs at its rate, not at
    its rate minus the time a claim takes. One instance paces a campaign at a time (the
    claimant of its last batch; another takes over a horizon after that batch's slots
    ran out), so a late publish (a slow broker ack) only delays the next ones and never
    overlaps another instance's batch. A pause stops the claims; the slots already
    claimed (at most 1.5 horizons) are still published.
    """

    def __init__(self, r: Surveys) -> None:
        self.r = r
        self._tasks: set[asyncio.Task[None]] = set()
        self._stored: deque[str] = deque(maxlen=64)  # batches this process stored itself
        self._last_sent: dict[str, datetime] = {}  # per campaign
        self.instance = secrets.token_hex(6)

    async def tick(self) -> None:
        for campaign in await self.r.campaigns.running():
            await self.claim(campaign)

    async def claim(self, campaign: dict[str, Any]) -> None:
        s, r = self.r.settings, self.r
        now = now_utc()
        ahead = timedelta(seconds=max(s.campaign_horizon_s / 2, 2 * s.campaign_interval_s))
        batch = campaign.get("batch") or {}
        if paced_elsewhere(batch.get("by"), self.instance, campaign["next_slot_at"], now,
                           timedelta(seconds=s.campaign_horizon_s)):
            return  # another instance is pacing this campaign; take over only when it stops
        claim = next_claim(campaign["cursor"], campaign["total"], campaign["next_slot_at"], now,
                           campaign["rate_per_minute"], timedelta(seconds=s.campaign_horizon_s), ahead,
                           guard=timedelta(seconds=s.campaign_horizon_s / 20))
        if claim is None:
            if campaign["cursor"] >= campaign["total"]:
                await _finish(r, campaign, now)
            return
        token = secrets.token_hex(8)

        def change(c: dict[str, Any]) -> Change | None:
            if c["state"] != "running" or c["cursor"] != claim.start:
                return None  # paused, or another instance took these owners
            c["previous_batch"] = c["batch"]
            c["batch"] = {"start": claim.start, "count": claim.count, "first_slot": claim.first_slot,
                          "spacing_s": claim.spacing.total_seconds(), "token": token, "by": self.instance}
            c["cursor"], c["next_slot_at"] = claim.start + claim.count, claim.next_slot
            return Change(c)

        state = await r.campaigns.mutate(campaign["_id"], change)
        if (state.get("batch") or {}).get("token") != token:
            return
        entries = await _store_batch(r, state, state["batch"], now)
        self._stored.append(token)
        previous = state["previous_batch"]
        if previous and previous.get("token") not in self._stored:
            await _store_batch(r, state, previous, now)  # its claimant may have died before storing it
        task = asyncio.create_task(self._publish(state["_id"], entries, claim.spacing), name=f"campaign-{state['_id']}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _publish(self, campaign_id: str, entries: list[tuple[Owed, Any]], gap: timedelta) -> None:
        """Each survey at its slot (and never closer than the spacing to the one before), marked sent a few at
        a time beside the publishing (never delaying a slot): the campaign's published count, counted when
        marked, trails the broker by a few surveys rather than a whole batch."""
        try:
            sent: list[Owed] = []
            marking: list[asyncio.Task[None]] = []
            for owed, event in entries:
                due = owed.entry.send_at
                last = self._last_sent.get(campaign_id)
                if last is not None:
                    due = max(due, last + gap)
                delay = (due - now_utc()).total_seconds()
                if delay > 0:
                    await asyncio.sleep(delay)
                await self.r.outbox.publish(event)
                self._last_sent[campaign_id] = now_utc()
                sent.append(owed)
                if len(sent) >= MARK_EVERY:
                    marking.append(asyncio.create_task(self.r.outbox.mark_sent(sent)))
                    sent = []
            marking.append(asyncio.create_task(self.r.outbox.mark_sent(sent)))
            await asyncio.gather(*marking)
            log.info("campaign batch sent", campaign_id=campaign_id, surveys=len(entries))
        except Exception as exc:  # the relay publishes what is left unsent
            log.error("campaign batch interrupted", error=repr(exc))


async def _finish(r: Surveys, campaign: dict[str, Any], now: datetime) -> None:
    """All owners claimed: make sure the last batch is stored, then the campaign is done."""
    if campaign["batch"]:
        await _store_batch(r, campaign, campaign["batch"], now)

    def change(c: dict[str, Any]) -> Change | None:
        if c["state"] != "running":
            return None
        c["state"] = "done"
        c["history"].append({"at": now, "state": "done"})
        return Change(c)

    await r.campaigns.mutate(campaign["_id"], change)


async def _store_batch(r: Surveys, campaign: dict[str, Any], batch: dict[str, Any],
                       now: datetime) -> list[tuple[Owed, Any]]:
    """The batch's surveys and outbox entries (idempotent: ids derive from campaign and customer)."""
    claim = Claim(batch["start"], batch["count"], batch["first_slot"], timedelta(seconds=batch["spacing_s"]))
    owners = await r.campaigns.owners_between(campaign["_id"], claim.start, claim.start + claim.count)
    window = r.answer_window(KIND)
    surveys, entries, links = [], [], []
    for i, owner in enumerate(owners):
        slot = claim.slot(i)
        customer = Contact.from_doc({k: v for k, v in owner["customer"].items() if v})
        survey = campaign_survey(derived_event_id("survey", campaign["_id"], customer.customer_id),
                                 campaign["_id"], campaign["questionnaire_id"], campaign["project"], customer, slot,
                                 window, r.policy, now)
        assert survey.channel is not None and survey.expires_at is not None
        made = new_link(r, survey.channel)
        if made is not None:
            links.append((made[0], survey.id, survey.expires_at))
        event = survey_due(survey, 1, survey.channel, slot, survey.expires_at, slot, made and made[1])
        owed = DueOutbox.entry(event, slot, campaign["_id"])
        surveys.append(survey.owing(owed))
        entries.append((Owed(survey.id, owed), event))
    await r.links.add_many(links, now)  # before the surveys owe their events: a sent link always exists
    await r.surveys.add_many(surveys)  # each with the survey.due it owes; a survey stored before keeps its own
    return entries
