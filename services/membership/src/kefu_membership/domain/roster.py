"""Places at a community event (社区文化活动): capacity, a waiting list that moves up, check-in.

Pure transitions on a ``Roster``; the caller applies them inside one change of the
activity (an aggregate), so concurrent sign-ups cannot overfill it. Each
transition returns what happened to whom, which becomes the
``community_event.signup_changed`` events.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class RosterError(ValueError):
    """A transition the roster does not allow (closed, not signed up, not confirmed)."""


@dataclass
class Roster:
    capacity: int
    confirmed: list[str] = field(default_factory=list)  # in order of sign-up
    waitlist: list[str] = field(default_factory=list)  # first come, first promoted
    checked_in: list[str] = field(default_factory=list)
    closed: bool = False

    def __post_init__(self) -> None:
        if self.capacity < 1:
            raise ValueError("an event needs a capacity of at least 1")

    def status_of(self, member: str) -> str | None:
        if member in self.checked_in:
            return "checked_in"
        if member in self.confirmed:
            return "confirmed"
        if member in self.waitlist:
            return "waitlisted"
        return None

    def sign_up(self, member: str) -> list[tuple[str, str]]:
        """Confirm while places are free, else wait; signing up twice changes nothing."""
        self._open()
        if self.status_of(member) is not None:
            return []
        if len(self.confirmed) < self.capacity:
            self.confirmed.append(member)
            return [(member, "confirmed")]
        self.waitlist.append(member)
        return [(member, "waitlisted")]

    def cancel(self, member: str) -> list[tuple[str, str]]:
        """Give up a place (or a waiting one); a freed place goes to the first on the waiting list."""
        self._open()
        if member in self.checked_in:
            raise RosterError("a member who has checked in cannot cancel")
        if member in self.waitlist:
            self.waitlist.remove(member)
            return [(member, "cancelled")]
        if member not in self.confirmed:
            return []
        self.confirmed.remove(member)
        moves = [(member, "cancelled")]
        if self.waitlist:
            promoted = self.waitlist.pop(0)
            self.confirmed.append(promoted)
            moves.append((promoted, "promoted"))
        return moves

    def check_in(self, member: str) -> list[tuple[str, str]]:
        """A confirmed member arrived; checking in twice changes nothing."""
        self._open()
        if member in self.checked_in:
            return []
        if member not in self.confirmed:
            raise RosterError("only a member with a confirmed place can check in")
        self.checked_in.append(member)
        return [(member, "checked_in")]

    def close(self) -> list[str]:
        """The event is over: who attended (once; closing again returns nobody)."""
        if self.closed:
            return []
        self.closed = True
        return list(self.checked_in)

    def _open(self) -> None:
        if self.closed:
            raise RosterError("the event is closed")
