"""The use case: a batch of ``case.status_changed``; note each case's department and open or close its problem.

Reads first, one query per collection: the cases' department documents (but for
cases just assigned, which intake has not noted yet: those are inserted unread) and
the contacts that opened their chains (what problem each case is about), then those
problems (none for an assignment: the problem of a case just opened is open).
``domain.moves`` folds the batch, in order, into the state each case and problem
ends in and keeps what differs from the store; that is written last, one bulk write
per collection: a batch of assignments is one bulk insert. Nothing is published:
the batch consumer commits the offsets once this returned. A redelivered batch
reads the state its first delivery wrote and writes nothing (its just-assigned
cases' insert finds them noted).
"""

from __future__ import annotations

import asyncio
from typing import Any

from kefu_contracts import CaseStatusChanged
from kefu_kit import Batch

from .adapters.departments import CaseDepartments
from .adapters.store import ContactLog, ProblemIndex
from .domain.moves import department_writes, just_assigned, problem_moves, problem_states, problem_writes


class CaseMoves:
    """Handles batches of ``case.status_changed`` (see the module docstring)."""

    def __init__(self, departments: CaseDepartments, contacts: ContactLog, problems: ProblemIndex) -> None:
        self.departments, self.contacts, self.problems = departments, contacts, problems

    async def handle(self, batch: Batch[CaseStatusChanged]) -> None:
        events = batch.events_in
        fresh, moving = just_assigned(events), problem_moves(events)
        departments, openings = await asyncio.gather(
            self.departments.load(e.case_id for e in events if e.case_id not in fresh),
            self.contacts.openings(e.correlation_id for e in moving))
        states = problem_states(moving, openings)
        problems = await self.problems.load({s.problem_key for s in states})
        await asyncio.gather(self._note_departments(events, departments),
                             self.problems.apply_moves(problem_writes(states, problems)))

    async def _note_departments(self, events: list[CaseStatusChanged], stored: dict[str, dict[str, Any]]) -> None:
        """Insert the cases not noted, then overwrite the moved ones; a case found noted already (one just
        assigned, not read first) is compared with what is stored, like the others."""
        writes = department_writes(events, stored)
        changed = writes.changed
        noted = await self.departments.insert(writes.new)
        if noted:
            again = department_writes([e for e in events if e.case_id in noted], await self.departments.load(noted))
            changed = changed + again.changed
        await self.departments.overwrite(changed)
