"""Which department handles each case (``case_departments``), so department staff see only their customers.

Intake learns it from ``case.status_changed``, which it already consumes and which
names the case's customer and department on every move (routing publishes one when
it assigns a case, and on every change after). One document per case (``_id``: the
case id), overwritten with the latest department: a case moved to another
department stops showing its customer to the first one. A redelivered event writes
the same document again, so the handler stays idempotent; the collection grows with
the cases, one small document each.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError


def cases_in(customer_id: str, department: str) -> dict[str, Any]:
    """A customer's cases that a department handles (served by the ``customer_id, department`` index)."""
    return {"customer_id": customer_id, "department": department}


class CaseDepartments:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.cases = db.case_departments

    async def record(self, case_id: str, customer_id: str, department: str, at: datetime) -> None:
        update = {"$set": {"customer_id": customer_id, "department": department, "at": at}}
        try:
            await self.cases.update_one({"_id": case_id}, update, upsert=True)
        except DuplicateKeyError:  # another instance inserted it first: it exists now, set it
            await self.cases.update_one({"_id": case_id}, update)

    async def cases_of(self, customer_id: str, department: str) -> list[str]:
        """The ids of the customer's cases the department handles now (none: the customer is not theirs)."""
        return [d["_id"] for d in await self.cases.find(cases_in(customer_id, department), {"_id": 1}).to_list()]
