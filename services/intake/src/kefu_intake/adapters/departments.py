"""Which department handles each case (``case_departments``), so department staff see only their customers.

Intake learns it from ``case.status_changed``, which it already consumes and which
names the case's customer and department on every move (routing publishes one when
it assigns a case, and on every change after). One document per case (``_id``: the
case id) with the latest department, and ``at``: since when the case is there. A
case moved to another department stops showing its customer to the first one. A
batch of moves writes only the cases whose department changed (``domain.moves``): a
case seen for the first time is an insert, a move within the department or a
redelivered one writes nothing. The collection grows with the cases, one small
document each.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kefu_kit import insert_new
from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from .store import by_id, by_ids


def cases_in(customer_id: str, department: str) -> dict[str, Any]:
    """A customer's cases that a department handles (served by the ``customer_id, department`` index)."""
    return {"customer_id": customer_id, "department": department}


class CaseDepartments:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.cases = db.case_departments

    async def load(self, case_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The stored documents of these cases (those intake has seen), in one read."""
        ids = set(case_ids)
        if not ids:
            return {}
        return {d["_id"]: d for d in await self.cases.find(by_ids(ids), {"customer_id": 1, "department": 1}).to_list()}

    async def insert(self, docs: list[dict[str, Any]]) -> set[str]:
        """Note cases not noted before, in one bulk insert; the ids of those that were noted already."""
        return await insert_new(self.cases, docs)

    async def overwrite(self, docs: list[dict[str, Any]]) -> None:
        """Overwrite the department of moved cases, in one bulk write."""
        if docs:
            await self.cases.bulk_write([UpdateOne(by_id(doc["_id"]), {"$set": _fields(doc)}) for doc in docs],
                                        ordered=False)

    async def cases_of(self, customer_id: str, department: str) -> list[str]:
        """The ids of the customer's cases the department handles now (none: the customer is not theirs)."""
        return [d["_id"] for d in await self.cases.find(cases_in(customer_id, department), {"_id": 1}).to_list()]


def _fields(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "_id"}
