"""In-memory stand-ins for routing's stores, for unit tests of its use cases on ``Case`` state (no Mongo, no Kafka).

``MemoryCases`` keeps each case as the document the real store would hold and runs a change
as the real one does (document in, ``Case`` changed, document out at the next revision), so
a test sees what would be stored and published.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from kefu_contracts import CaseOpened
from kefu_kit.aggregates import NotFound
from kefu_routing.context import Routing
from kefu_routing.domain.case import Case

T0 = datetime.fromisoformat("2026-11-23T01:00:00+00:00")  # Monday 09:00 in Shanghai


class MemoryCases:
    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}
        self.published: list[Any] = []

    def put(self, case: Case, rev: int = 1) -> None:
        self.docs[case.id] = {**case.to_doc(), "rev": rev}

    async def get_case(self, case_id: str) -> Case | None:
        doc = self.docs.get(case_id)
        return None if doc is None else Case.from_doc(copy.deepcopy(doc))

    async def mutate_case(self, case_id: str, fn) -> Case:
        if case_id not in self.docs:
            raise NotFound(case_id)
        before = self.docs[case_id]
        change = fn(Case.from_doc(copy.deepcopy(before)))
        if change is None:
            return Case.from_doc(copy.deepcopy(before))
        change.state.rev = before["rev"] + 1
        self.docs[case_id] = change.state.to_doc()
        self.published += change.events
        return change.state

    async def open_counts(self, department: str) -> dict[str, int]:
        return {}


class MemoryTimers:
    def __init__(self) -> None:
        self.scheduled: list[tuple[str, str, datetime]] = []
        self.done_ids: list[str] = []

    async def schedule(self, case_id: str, which: str, due_at: datetime) -> None:
        self.scheduled.append((case_id, which, due_at))

    async def done(self, timer_id: str) -> None:
        self.done_ids.append(timer_id)


class Vips:
    def __init__(self, *vips: str) -> None:
        self.vips = set(vips)

    async def is_vip(self, customer_id: str) -> bool:
        return customer_id in self.vips


class Reports:
    def __init__(self, *reports: dict[str, Any]) -> None:
        self.reports = list(reports)

    async def of_customer(self, customer_id: str, kinds: list[str], since: datetime) -> list[dict[str, Any]]:
        return [r for r in self.reports
                if r["customer_id"] == customer_id and r["kind"] in kinds and r["opened_at"] >= since]


def routing(*vips: str, reports: tuple[dict[str, Any], ...] = ()) -> Routing:
    return Routing(cases=MemoryCases(), groups=None, timers=MemoryTimers(), vips=Vips(*vips),  # type: ignore[arg-type]
                   reports=Reports(*reports))  # type: ignore[arg-type]


def opened(case_id: str = "case-1", kind: str = "repair", **over: Any) -> CaseOpened:
    """A ``case.opened`` as the consumer parses it (from JSON: its dates carry pydantic's zone)."""
    fields: dict[str, Any] = dict(
        event_id=f"{case_id}-opened", correlation_id=f"call-{case_id}", causation_id=f"call-{case_id}",
        occurred_at=T0, case_id=case_id, contact_id=f"call-{case_id}", customer_id="cust-1", channel="hotline",
        kind=kind, classified_by="rules", category="leak", project="滨江花园", building="3幢", unit="1202",
        body="卫生间漏水", handover_date=datetime.fromisoformat("2025-06-01T00:00:00+00:00"))
    fields.update(over)
    return CaseOpened.model_validate_json(CaseOpened(**fields).model_dump_json())
