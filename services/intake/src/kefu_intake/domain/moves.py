"""What a batch of ``case.status_changed`` does to intake's state, decided in memory.

Routing moves a case; intake keeps two things from it: the department that handles
the case now (who may see its customer) and whether the case's problem is open
(a resolved or closed problem takes a new case next time, a reopened one not).

Applied one event at a time, each event cost a read and two updates, and updates
are the dearest command the store has. Here a batch's events are folded, in their
Kafka order (a case's events arrive in the order routing made them), into the one
state each case and each problem ends in, the last event winning; that end state
is compared with what is stored, and only what differs is written: a new document
is an insert, an unchanged one (a redelivery, a status change within the same
department, an open case assigned) costs nothing. Applying the batch this way ends
in the state that applying its events one by one ends in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kefu_contracts import CaseStatus, CaseStatusChanged

from .records import OpenProblem, as_stored

CLOSED = ("resolved", "closed")


@dataclass(frozen=True)
class Opening:
    """What a case's opening contact says about its problem: the problem key and the case it took."""

    problem_key: str | None
    case_id: str


@dataclass(frozen=True)
class DepartmentWrites:
    """``case_departments`` documents to insert (cases intake had not seen) and to overwrite (moved cases)."""

    new: list[dict[str, Any]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class ProblemState:
    """Where a problem's case ends after the batch: open or not, and the time of the move that made it so."""

    problem_key: str
    case_id: str
    open: bool
    at: datetime


@dataclass(frozen=True)
class ProblemWrites:
    """Problems to put back (a reopened case whose problem was pruned) and problems to open or close."""

    new: list[OpenProblem] = field(default_factory=list)
    changed: list[ProblemState] = field(default_factory=list)


def just_assigned(events: Iterable[CaseStatusChanged]) -> set[str]:
    """The cases routing assigned in this batch (moved on from ``opened``): the first move of a case.

    Intake has noted nothing of them yet, so their departments are inserted without a
    read; one found noted anyway (a redelivery, another instance) is read then, and
    written only if it differs, like any other.
    """
    return {e.case_id for e in events if e.previous_status == CaseStatus.OPENED}


def department_writes(events: Iterable[CaseStatusChanged],
                      stored: Mapping[str, Mapping[str, Any]]) -> DepartmentWrites:
    """Each case's department after the batch (its last event), where it differs from the stored one.

    ``stored``: the cases' documents, by case id. A document is written only when the
    case's customer or department changed, and ``at`` then says since when the case
    is there: a status change within the department is no write (an update is about
    ten times the cost of an insert here, and most moves keep the department).
    """
    latest: dict[str, CaseStatusChanged] = {}
    for event in events:
        latest[event.case_id] = event
    writes = DepartmentWrites()
    for case_id, event in latest.items():
        doc = {"_id": case_id, "customer_id": event.customer_id, "department": event.department,
               "at": event.occurred_at}
        before = stored.get(case_id)
        if before is None:
            writes.new.append(doc)
        elif (before.get("customer_id"), before.get("department")) != (event.customer_id, event.department):
            writes.changed.append(doc)
    return writes


def problem_moves(events: Iterable[CaseStatusChanged]) -> list[CaseStatusChanged]:
    """The events that can change a problem: all but a case's assignment (moved on from ``opened``, still open).

    Intake opened that case itself, and recorded its problem open, for that case, before
    it published ``case.opened``: the assignment finds it so. Left out, a batch of
    assignments reads no contacts and no problems. (One at a time, the assignment was
    an update that changed nothing but ``rev``, or put back a problem pruned since the
    call: one whose last contact was already past the follow-up window, which no new
    contact follows up anyway.)
    """
    return [e for e in events if not (e.previous_status == CaseStatus.OPENED and e.status.value not in CLOSED)]


def problem_states(events: Iterable[CaseStatusChanged], openings: Mapping[str, Opening]) -> list[ProblemState]:
    """Where each problem's case ends after the batch, for the events whose case is the one their contact opened.

    ``events``: the batch's ``problem_moves``, in order.
    ``openings``: the contacts that opened the chains (``correlation_id``), by contact id.
    An event whose contact is unknown, has no problem, or opened another case (a follow-up's
    chain...) leaves the problems alone, as it did one event at a time. Per (problem, case)
    the last event wins; a problem's other case is another entry (the write keeps to its case).
    """
    latest: dict[tuple[str, str], ProblemState] = {}
    for event in events:
        opening = openings.get(event.correlation_id)
        if opening is None or not opening.problem_key or opening.case_id != event.case_id:
            continue
        latest[(opening.problem_key, event.case_id)] = ProblemState(
            opening.problem_key, event.case_id, event.status.value not in CLOSED, event.occurred_at)
    return list(latest.values())


def problem_writes(states: Iterable[ProblemState], stored: Mapping[str, OpenProblem]) -> ProblemWrites:
    """The writes that bring the stored problems to ``states``; nothing for a problem already there.

    * a problem held by another case (a newer case of the same problem) is left alone;
    * a problem missing (pruned, or never indexed) is put back only for an open case,
      as a new problem of that case (as the upsert of one event at a time did);
    * a problem of the case is written when its open flag or its closing time differs
      (a redelivered move, or an assignment of an open case, writes nothing).
    """
    writes = ProblemWrites()
    for state in states:
        problem = stored.get(state.problem_key)
        if problem is None:
            if state.open:
                writes.new.append(OpenProblem(id=state.problem_key, case_id=state.case_id, open=True,
                                              opened_at=state.at, last_contact_at=state.at, closed_at=None,
                                              recent=[], rev=1))
            continue
        if problem.case_id != state.case_id:
            continue
        closed_at = None if state.open else as_stored(state.at)
        if (problem.open, problem.closed_at) != (state.open, closed_at):
            writes.changed.append(state)
    return writes
