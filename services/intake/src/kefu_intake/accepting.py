"""``POST /calls``: a contact from an agent's screen or an adapter that cannot speak Kafka, onto ``call.received``.

The body is the ``call.received`` contract (envelope optional); the event goes to the
topic with its contract key, exactly as an adapter publishes it, and is reported
accepted only once the broker acked it. The consumer of ``call.received`` (intake
itself) then records it like any other call.

Retries are safe by ``event_id`` and by ``external_ref`` (per channel): the first
request to present a key decides the event, later ones get its ``event_id`` back and
publish nothing once it was acked. The same key with another body is a conflict,
never a silent second call. See ``adapters.accepted`` for the store's side.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone

from kefu_contracts import CallReceived
from kefu_kit.auth import Principal, Role

from .adapters.accepted import AcceptedCalls, event_key, ref_key
from .api_models import CallSubmission

AGENT_ID_MAX = 64  # CallReceived.agent_id


class CallConflict(Exception):
    """The key was accepted before with another body: the client mixed up two calls."""


def fingerprint(submission: CallSubmission) -> str:
    """The body as posted, without ``event_id``: a retry that adds the id intake assigned is the same call."""
    body = submission.model_dump_json(exclude={"event_id"}, exclude_none=True)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def call_event(submission: CallSubmission, who: Principal, now: datetime) -> CallReceived:
    """The event to publish: envelope filled in, the agent who took the call as its recorder when not given."""
    fields = submission.model_dump(exclude_none=True)
    fields.setdefault("event_id", f"call-{uuid.uuid4()}")
    fields.setdefault("occurred_at", now)
    if who.role == Role.HOTLINE_AGENT:
        fields.setdefault("agent_id", who.name[:AGENT_ID_MAX])
    return CallReceived.model_validate(fields)


class CallAcceptance:
    """``publish_wait_s``: how long a request that finds its key taken, not yet published, waits for the
    request that took it (at least that one's publish timeout) before publishing the event itself."""

    def __init__(self, accepted: AcceptedCalls, publish: Callable[[CallReceived], Awaitable[None]],
                 publish_wait_s: float) -> None:
        self.accepted, self.publish, self.publish_wait_s = accepted, publish, publish_wait_s

    async def accept(self, submission: CallSubmission, who: Principal) -> str:
        """Publish the call once per key; return its ``event_id`` (``CallConflict`` on a reused key)."""
        now = datetime.now(timezone.utc)
        mark = fingerprint(submission)
        event = call_event(submission, who, now).model_dump(mode="json", exclude_none=True)
        if submission.external_ref:
            ref = ref_key(submission.channel.value, submission.external_ref)
            first, _ = await self.accepted.claim(ref, event, mark, now)
            if first["fingerprint"] != mark:
                raise CallConflict(f"external_ref {submission.external_ref!r} of channel {submission.channel.value} "
                                   f"was accepted as event {first['event']['event_id']} with a different body")
            if submission.event_id and first["event"]["event_id"] != submission.event_id:
                raise CallConflict(f"external_ref {submission.external_ref!r} of channel {submission.channel.value} "
                                   f"was accepted as event {first['event']['event_id']}, not {submission.event_id}")
            event = first["event"]
        key = event_key(event["event_id"])
        claimed, ours = await self.accepted.claim(key, event, mark, now)
        if claimed["fingerprint"] != mark:
            raise CallConflict(f"event_id {event['event_id']} was accepted with a different body; "
                               "a new call needs a new event_id")
        if not claimed["published"] and (ours or not await self._published_by_other(key)):
            # ours, or the request that took the key failed or died before the ack: publish the stored event
            await self.publish(CallReceived.model_validate(claimed["event"]))
            await self.accepted.mark_published(key)
        return str(claimed["event"]["event_id"])

    async def _published_by_other(self, key: str) -> bool:
        """Wait for the request that took ``key`` to see its event acked (a retry racing the first attempt)."""
        deadline = time.monotonic() + self.publish_wait_s
        while time.monotonic() < deadline:
            if await self.accepted.is_published(key):
                return True
            await asyncio.sleep(0.05)
        return await self.accepted.is_published(key)
