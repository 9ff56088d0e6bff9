"""Community events (社区文化活动): places, a waiting list, check-in points, and feedback after the event.

An activity is an aggregate: each sign-up, cancellation, check-in and the close
is one revision claimed by insert, so concurrent sign-ups cannot overfill it
and the waiting list moves up exactly once per freed place. Every move is
announced on ``community_event.signup_changed`` (for notifications); closing
announces ``community_event.attended`` per member who checked in (surveys sends
the event-feedback survey).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from kefu_contracts import (
    COMMUNITY_EVENT_ATTENDED,
    COMMUNITY_EVENT_SIGNUP_CHANGED,
    CommunityEventAttended,
    CommunityEventSignupChanged,
    Contact,
    Event,
    derived_event_id,
)
from kefu_kit import get_logger
from kefu_kit.aggregates import Change, ChangeFn, NotFound

from .context import Cause, Club, Unknown
from .domain.members import Member
from .domain.roster import Roster
from .earning import credit

log = get_logger(__name__)


def _roster(activity: dict[str, Any]) -> Roster:
    return Roster(activity["capacity"], activity["confirmed"], activity["waitlist"], activity["checked_in"],
                  activity["closed"])


def status_of(activity: dict[str, Any], member_id: str) -> str | None:
    return _roster(activity).status_of(member_id)


def _store(activity: dict[str, Any], roster: Roster) -> None:
    activity.update(confirmed=roster.confirmed, waitlist=roster.waitlist, checked_in=roster.checked_in,
                    closed=roster.closed)


def _revision_cause(activity: dict[str, Any]) -> Cause:
    return Cause(f"{activity['_id']}|{activity['rev'] + 1}", activity["_id"])


def _moves_to_events(activity: dict[str, Any], moves: list[tuple[str, str]], now: datetime) -> list[Event]:
    cause = _revision_cause(activity)
    events: list[Event] = []
    for member_id, status in moves:
        who = activity["attendees"][member_id]
        events.append(CommunityEventSignupChanged(
            event_id=derived_event_id(COMMUNITY_EVENT_SIGNUP_CHANGED, cause.event_id, member_id, status),
            occurred_at=now, correlation_id=cause.correlation_id, causation_id=cause.event_id,
            activity_id=activity["_id"], title=activity["title"], starts_at=activity["starts_at"],
            customer_id=who["customer_id"], member_id=member_id, status=status,  # type: ignore[arg-type]
            contact=Contact(**who["contact"]),
        ))
    return events


async def create(club: Club, title: str, project: str | None, starts_at: datetime, capacity: int,
                 duration_minutes: int | None, now: datetime) -> dict[str, Any]:
    Roster(capacity)  # validates the capacity
    state = {
        "_id": "EV" + uuid.uuid4().hex[:12].upper(), "title": title, "project": project, "starts_at": starts_at,
        "ends_at": starts_at + timedelta(minutes=duration_minutes or club.event_minutes), "capacity": capacity,
        "confirmed": [], "waitlist": [], "checked_in": [], "closed": False, "attendees": {}, "created_at": now,
    }
    activity, _ = await club.activities.create(state, [])
    return activity


async def _mutate(club: Club, activity_id: str, change: ChangeFn) -> dict[str, Any]:
    try:
        return await club.activities.mutate(activity_id, change)
    except NotFound:
        raise Unknown(f"no activity {activity_id}") from None


async def _member(club: Club, member_id: str) -> Member:
    member = await club.members.get(member_id)
    if member is None:
        raise Unknown(f"no member {member_id}")
    return member


async def _change(club: Club, activity_id: str, member_id: str, move: str, now: datetime,
                  member: Member | None = None) -> dict[str, Any]:
    def change(activity: dict[str, Any]) -> Change | None:
        roster = _roster(activity)
        moves = getattr(roster, move)(member_id)
        if not moves:
            return None
        if member is not None:
            activity["attendees"].setdefault(
                member_id, {"customer_id": member.customer_id, "contact": member.contact.to_doc()})
        _store(activity, roster)
        return Change(activity, _moves_to_events(activity, moves, now))

    return await _mutate(club, activity_id, change)


async def sign_up(club: Club, activity_id: str, member_id: str, now: datetime) -> dict[str, Any]:
    """A place if one is free, else the waiting list (signing up again changes nothing)."""
    member = await _member(club, member_id)
    return await _change(club, activity_id, member_id, "sign_up", now, member)


async def cancel(club: Club, activity_id: str, member_id: str, now: datetime) -> dict[str, Any]:
    """Give up a place; the first on the waiting list moves up."""
    return await _change(club, activity_id, member_id, "cancel", now)


async def check_in(club: Club, activity_id: str, member_id: str, now: datetime) -> dict[str, Any]:
    """A confirmed member arrived: checked in, and points for attending (once)."""
    await _member(club, member_id)
    activity = await _change(club, activity_id, member_id, "check_in", now)
    source = f"checkin|{activity_id}|{member_id}"
    await credit(club, member_id, club.rules.event_checkin, "event_checkin", source, Cause(source, activity_id),
                 now, activity_id=activity_id)
    return activity


async def close(club: Club, activity_id: str, now: datetime) -> dict[str, Any]:
    """The event is over: announce each attendee once (for the event-feedback survey)."""
    def change(activity: dict[str, Any]) -> Change | None:
        if activity["closed"]:
            return None
        roster = _roster(activity)
        attended = roster.close()
        _store(activity, roster)
        activity["closed_at"] = now
        cause = _revision_cause(activity)
        events: list[Event] = []
        for member_id in attended:
            who = activity["attendees"][member_id]
            events.append(CommunityEventAttended(
                event_id=derived_event_id(COMMUNITY_EVENT_ATTENDED, activity["_id"], member_id),
                occurred_at=now, correlation_id=cause.correlation_id, causation_id=cause.event_id,
                activity_id=activity["_id"], title=activity["title"], customer_id=who["customer_id"],
                member_id=member_id, project=activity.get("project"), attended_at=activity["starts_at"],
                contact=Contact(**who["contact"]),
            ))
        return Change(activity, events)

    activity = await _mutate(club, activity_id, change)
    log.info("community event closed", activity_id=activity_id, attended=len(activity["checked_in"]))
    return activity


async def close_due(club: Club, now: datetime) -> None:
    """Close every event past its end (any instance may; the revision claim makes it once)."""
    for activity in await club.activities.due_to_close(now):
        await close(club, activity["_id"], now)
