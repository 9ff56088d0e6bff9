"""The quality report (质检报告): date ranges, 90-day repeats, on-time against the SLA, cost, satisfaction,
worst cases, each against an answer worked out by hand; and its routes (roles, formats, bad dates)."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

import httpx
import pytest
from fastapi import FastAPI, Header, HTTPException
from kefu_kit.auth import Principal

from kefu_dashboard.report.dates import DateRange, DateRangeError
from kefu_dashboard.report.quality import build_quality, repeats_of
from kefu_dashboard.report.quality_api import make_quality_router
from kefu_dashboard.report.quality_charts import chart_png, chart_svg
from kefu_dashboard.report.quality_csv import quality_csv
from kefu_dashboard.report.quality_html import quality_html
from test_report_build import case, utc

NOV = DateRange.parse("2026-11-01", "2026-11-30")
AFTER = datetime(2026, 12, 20, tzinfo=NOV.start.tzinfo)
H, D = timedelta(hours=1), timedelta(days=1)


def repair(case_id: str, opened_at: datetime, **fields: Any) -> dict[str, Any]:
    return case(case_id, opened_at, **{"kind": "repair", "category": "leak", "building": "3幢", "unit": "0301",
                                       "department": "engineering", "work_orders": [], **fields})


def order(at: datetime, cost: str, warranty: bool, department: str = "engineering", n: str = "1") -> dict[str, Any]:
    return {"work_order_id": f"wo-{n}-{at.isoformat()}", "department": department, "under_warranty": warranty,
            "cost": cost, "completed_at": at}


def visit(sid: str, case_id: str, at: datetime, csat: int, kind: str = "repair_return_visit") -> dict[str, Any]:
    return {"_id": sid, "survey_id": sid, "kind": kind, "case_id": case_id, "csat": csat, "nps": None,
            "answered_at": at, "project": None, "department": None}


@pytest.mark.parametrize("first,last,match", [("2026-11-1", "2026-11-30", "YYYY-MM-DD"),
                                              ("2026/11/01", "2026-11-30", "YYYY-MM-DD"),
                                              ("2026-11-01", "2026-02-30", "YYYY-MM-DD"),
                                              ("2026-11-30", "2026-11-01", "before"),
                                              ("2025-01-01", "2026-11-30", "at most")])
def test_bad_dates_are_refused_with_a_clear_message(first: str, last: str, match: str) -> None:
    with pytest.raises(DateRangeError, match=match):
        DateRange.parse(first, last)


def test_a_range_is_whole_days_in_shanghai_both_included() -> None:
    assert NOV.start == utc(2026, 10, 31, 16) and NOV.end == utc(2026, 11, 30, 16)
    one = DateRange.parse("2026-11-05", "2026-11-05")
    assert one.end - one.start == D


def test_a_repeat_is_the_same_unit_and_category_within_90_days() -> None:
    t = utc(2026, 11, 10)
    cases = [
        repair("first", t - 90 * D),
        repair("exactly-90-days-later", t),  # repeats "first"
        repair("next-day", t + D),  # repeats the one before it
        repair("other-category", t + 2 * D, category="electrical"),
        repair("other-unit", t + 3 * D, unit="0302"),
        repair("no-unit", t + 4 * D, unit=None),
        repair("too-late", t + D + 90 * D + timedelta(seconds=1)),  # 90 days and 1 s after "next-day"
        case("inquiry", t + 5 * D, kind="inquiry", category="leak", unit="0301"),
    ]
    found = repeats_of([c for c in cases if c["kind"] == "repair"])
    assert {k: v["_id"] for k, v in found.items()} == {"exactly-90-days-later": "first", "next-day": "exactly-90-days-later"}


def test_every_figure_of_a_small_period() -> None:
    s = utc(2026, 11, 2)
    cases = [
        # on time both ways; warranty work order 120.50; satisfied visit
        repair("r1", s, respond_by=s + 4 * H, responded_at=s + H, resolve_by=s + 3 * D, resolved_at=s + D,
               work_orders=[order(s + D, "120.50", True)]),
        # late response, late completion by 30 h, paid by a contractor 80.00; dissatisfied visit; a repeat of "old"
        repair("r2", s + D, unit="0501", respond_by=s + D + 4 * H, responded_at=s + D + 6 * H,
               resolve_by=s + 4 * D, resolved_at=s + 5 * D + 6 * H, department="property",
               work_orders=[order(s + 5 * D + 6 * H, "80.00", False, "contractor_a")]),
        # deadline not passed at report time and not done: not judged; another project
        repair("r3", s + 2 * D, project="翠湖天地", category="plumbing", respond_by=AFTER + D, resolve_by=AFTER + 2 * D),
        # still open past its completion deadline: late, judged at report time
        repair("r4", s + 3 * D, category="electrical", respond_by=s + 3 * D + H, responded_at=s + 3 * D + H / 2,
               resolve_by=s + 6 * D),
        repair("old", s - 30 * D, unit="0501"),  # before the period: only the repeat's earlier repair
        repair("outside", utc(2026, 12, 1), work_orders=[order(utc(2026, 12, 2), "999.00", True)]),
        case("complaint", s, kind="complaint", category="leak", respond_by=s + H, responded_at=s + 2 * H),
    ]
    answers = [visit("v1", "r1", s + 2 * D, 5), visit("v2", "r2", s + 6 * D, 2),
               visit("v3", "complaint", s + 2 * D, 1, kind="complaint_return_visit"),
               visit("v4", "r1", utc(2026, 12, 3), 1)]  # after the period
    r = build_quality(cases, answers, NOV, now=AFTER)
    t = r.total
    assert (t.opened, t.completed, t.repeats) == (4, 2, 1)
    assert (t.response.numerator, t.response.denominator) == (2, 3)  # r1, r4 on time; r2 late; r3 not judged
    assert (t.completion.numerator, t.completion.denominator) == (1, 3)  # r1; r2 and r4 late
    assert (t.repeat_rate.numerator, t.repeat_rate.denominator) == (1, 4)
    assert (t.satisfaction.numerator, t.satisfaction.denominator) == (1, 2)
    assert (t.warranty_orders, t.warranty_cost, t.paid_orders, t.paid_cost) == (1, Decimal("120.50"), 1,
                                                                                 Decimal("80.00"))
    deps = {x.key: x for x in r.by_department}
    assert set(deps) == {"engineering", "contractor_a"}  # r2's work order was done by the contractor
    assert (deps["contractor_a"].opened, deps["contractor_a"].repeats, deps["contractor_a"].paid_cost) == (
        1, 1, Decimal("80.00"))
    assert deps["engineering"].opened == 3 and deps["engineering"].completed == 1
    projects = {x.key: x for x in r.by_project}
    assert projects["翠湖天地"].opened == 1 and projects["翠湖天地"].response.denominator == 0
    assert [w.case_id for w in r.worst] == ["r2", "r4"]
    assert r.worst[0].problems == ("late_response", "late_completion", "repeat", "dissatisfied")
    assert r.worst[0].hours_late == 30.0 and r.worst[0].csat == 2 and r.worst[0].repeats_case == "old"
    assert r.worst[1].hours_late == round((AFTER - (s + 6 * D)).total_seconds() / 3600, 1)

    only = build_quality(cases, answers, NOV, project="翠湖天地", now=AFTER)
    assert only.total.opened == 1 and only.total.completed == 0 and only.total.satisfaction.denominator == 0

    rows = list(csv.reader(io.StringIO(quality_csv(r).lstrip("\ufeff"))))
    assert rows[1][3:8] == ["all", "all", "全部报修 all repairs", "4", "2"]
    assert rows[1][8:10] == ["66.7", "2/3"] and rows[1][17:] == ["1", "120.50", "1", "80.00"]
    worst_at = rows.index([]) + 1
    assert rows[worst_at][0] == "case_id" and rows[worst_at + 1][0] == "r2"
    assert rows[worst_at + 1][6] == "late_response;late_completion;repeat;dissatisfied"
    page = quality_html(r)
    assert "质检报告" in page and "r2" in page and "contractor_a" in page
    assert chart_svg(r, "rates").lstrip().startswith("<?xml") and chart_png(r, "cost")[:4] == b"\x89PNG"


def who(authorization: Annotated[str | None, Header()] = None) -> Principal:
    if not authorization:
        raise HTTPException(401, "missing bearer token")
    role, _, department = authorization.removeprefix("Bearer ").partition(":")
    return Principal("test", role, department or None)


async def test_the_routes_check_roles_and_dates_and_serve_every_format() -> None:
    asked: list[tuple[datetime, datetime]] = []

    async def source(start: datetime, end: datetime):
        asked.append((start, end))
        return [repair("r1", utc(2026, 11, 2), work_orders=[order(utc(2026, 11, 3), "10.00", True)])], []

    app = FastAPI()
    app.include_router(make_quality_router(source, who, clock=lambda: AFTER))
    manager = {"Authorization": "Bearer cs_manager"}
    params = {"from": "2026-11-01", "to": "2026-11-30"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://d") as c:
        r = await c.get("/api/report/quality", params=params, headers=manager)
        assert r.status_code == 200 and r.json()["total"]["repairs_opened"] == 1
        assert asked == [(NOV.start, NOV.end)]
        r = await c.get("/api/report/quality", params={**params, "format": "csv"}, headers=manager)
        assert r.headers["content-type"].startswith("text/csv") and r.content.startswith("\ufeff".encode())
        r = await c.get("/api/report/quality", params={**params, "format": "html"}, headers=manager)
        assert r.status_code == 200 and "<svg" in r.text
        assert (await c.get("/api/report/quality/chart/cost.png", params=params, headers=manager)).content[:4] == \
            b"\x89PNG"
        assert (await c.get("/api/report/quality/chart/nope.svg", params=params, headers=manager)).status_code == 404
        bad = await c.get("/api/report/quality", params={"from": "2026-11-31", "to": "2026-12-01"}, headers=manager)
        assert bad.status_code == 422 and "YYYY-MM-DD" in bad.json()["detail"]
        assert (await c.get("/api/report/quality", params={"from": "2026-11-01"}, headers=manager)).status_code == 422
        staff = await c.get("/api/report/quality", params=params,
                            headers={"Authorization": "Bearer department_staff:engineering"})
        assert staff.status_code == 403 and "customer service center" in staff.json()["detail"]
        assert (await c.get("/api/report/quality", params=params)).status_code == 401
