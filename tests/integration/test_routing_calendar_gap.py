"""A case whose deadline runs into a year without holiday data: stored and published with the warning, counted."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from kefu_contracts import CaseAssigned, CaseOpened
from kefu_routing.adapters.store import (
    CaseRepository,
    GroupRepository,
    RecentReports,
    TimerStore,
    VipStore,
    ensure_indexes,
)
from kefu_routing.calendar_gaps import CalendarGaps
from kefu_routing.context import Routing
from kefu_routing.opening import open_case
from prometheus_client import CollectorRegistry

pytestmark = pytest.mark.integration

SH = ZoneInfo("Asia/Shanghai")


def opened(case_id: str, at: datetime) -> CaseOpened:
    return CaseOpened(event_id=f"{case_id}-opened", correlation_id="call-1", causation_id="call-1", occurred_at=at,
                      case_id=case_id, contact_id="call-1", customer_id="cust-1", channel="hotline", kind="repair",
                      classified_by="rules", category="leak", project="P", building="B", unit="0301", body="漏水")


async def test_a_deadline_into_2027_is_flagged_on_the_case_the_event_and_the_metric(mongo, namespace):
    db = mongo[f"{namespace}_routing"]
    await ensure_indexes(db)
    published: list[Any] = []

    async def publish(event: Any) -> None:
        published.append(event)

    registry = CollectorRegistry()
    r = Routing(cases=CaseRepository(db, publish), groups=GroupRepository(db, publish), timers=TimerStore(db),
                vips=VipStore(db), reports=RecentReports(db), calendar_gaps=CalendarGaps(registry))
    now = datetime(2026, 12, 31, 9, 5, tzinfo=SH)

    late = await open_case(opened("case-dec", datetime(2026, 12, 31, 17, tzinfo=SH)), r, now)
    inside = await open_case(opened("case-mar", datetime(2026, 3, 4, 10, tzinfo=SH)), r, now)

    stored = await r.cases.get("case-dec")
    assert stored["deadlines"]["missing_years"] == [2027]
    assert "WARNING: no public holiday data for 2027" in stored["deadlines"]["reason"]
    assert stored["deadlines"] == late.to_doc()["deadlines"]
    assert (await r.cases.get("case-mar"))["deadlines"]["missing_years"] == []
    assert "WARNING" not in inside.deadlines.reason

    assigned = {e.case_id: e for e in published if isinstance(e, CaseAssigned)}
    assert "no public holiday data for 2027" in assigned["case-dec"].sla_reason
    assert assigned["case-mar"].sla_reason.startswith("rule repair:")
    assert "WARNING" not in assigned["case-mar"].sla_reason
    assert registry.get_sample_value("kefu_calendar_year_missing_total", {"year": "2027"}) == 1

    await open_case(opened("case-dec", datetime(2026, 12, 31, 17, tzinfo=SH)), r, now)  # a redelivery
    assert registry.get_sample_value("kefu_calendar_year_missing_total", {"year": "2027"}) == 1
