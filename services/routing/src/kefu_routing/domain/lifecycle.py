"""The case lifecycle: which status may follow which, and who may not skip a step.

    assigned ──acknowledge──▶ in_progress ──resolve──▶ resolved ──close──▶ closed
        │                        ▲   │                    │                  │
        └──wait_on_owner──▶ waiting_on_owner ◀──┘          └──reopen──▶ reopened ◀┘
                                 └──resume──▶ in_progress

A reopened case is worked like an assigned one. Waiting on the owner pauses the
deadlines (see ``sla.py``); resuming ends the pause.
"""

from __future__ import annotations

ASSIGNED, IN_PROGRESS, WAITING, RESOLVED, CLOSED, REOPENED = (
    "assigned", "in_progress", "waiting_on_owner", "resolved", "closed", "reopened"
)
STATUSES = (ASSIGNED, IN_PROGRESS, WAITING, RESOLVED, CLOSED, REOPENED)

# command -> (statuses it may start from, status it leads to)
COMMANDS: dict[str, tuple[frozenset[str], str]] = {
    "acknowledge": (frozenset({ASSIGNED, REOPENED}), IN_PROGRESS),
    "wait_on_owner": (frozenset({ASSIGNED, IN_PROGRESS, REOPENED}), WAITING),
    "resume": (frozenset({WAITING}), IN_PROGRESS),
    "resolve": (frozenset({ASSIGNED, IN_PROGRESS, REOPENED}), RESOLVED),
    "close": (frozenset({RESOLVED}), CLOSED),
    "reopen": (frozenset({RESOLVED, CLOSED}), REOPENED),
}

OPEN_STATUSES = frozenset({ASSIGNED, IN_PROGRESS, WAITING, REOPENED})


class InvalidTransition(ValueError):
    """The command does not apply to a case in its current status."""


def next_status(command: str, current: str) -> str:
    """The status ``command`` leads to from ``current``; raise ``InvalidTransition`` when not allowed."""
    if command not in COMMANDS:
        raise InvalidTransition(f"unknown command {command!r}")
    sources, target = COMMANDS[command]
    if current not in sources:
        allowed = ", ".join(sorted(sources))
        raise InvalidTransition(f"cannot {command} a case that is {current} (only from: {allowed})")
    return target


def is_open(status: str) -> bool:
    return status in OPEN_STATUSES
