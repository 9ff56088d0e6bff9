"""The use case: a batch of ``case.status_changed``; note each case's department and open or close its problem.

Reads first, one query per collection: the cases' department documents and the
contacts that opened their chains (what problem each case is about), then those
problems. ``domain.moves`` folds the batch, in order, into the state each case and
problem ends in and keeps what differs from the store; that is written last, one
bulk write per collection. Nothing is published: the batch consumer commits the
offsets once this returned. A redelivered batch reads the state its first delivery
wrote and writes nothing.
"""

from __future__ import annotations

import asyncio

from kefu_contracts import CaseStatusChanged
from kefu_kit import Batch

from .adapters.departments import CaseDepartments
from .adapters.store import ContactLog, ProblemIndex
from .domain.moves import department_writes, problem_states, problem_writes


class CaseMoves:
    """Handles batches of ``case.status_changed`` (see the module docstring)."""

    def __init__(self, departments: CaseDepartments, contacts: ContactLog, problems: ProblemIndex) -> None:
        self.departments, self.contacts, self.problems = departments, contacts, problems

    async def handle(self, batch: Batch[CaseStatusChanged]) -> None:
        events = batch.events_in
        departments, openings = await asyncio.gather(self.departments.load(e.case_id for e in events),
                                                     self.contacts.openings(e.correlation_id for e in events))
        states = problem_states(events, openings)
        problems = await self.problems.load({s.problem_key for s in states})
        await asyncio.gather(self.departments.write(department_writes(events, departments)),
                             self.problems.apply_moves(problem_writes(states, problems)))
