"""The weekly report (周报) and the repair quality report (质检报告) on real servers, checked against figures
this test computes itself from the seed (``zoneinfo`` and ``date.isocalendar``, not the reports' code).

The monthly report's seed (September and October 2026) goes onto the topics again, with:

* cases and answers minutes either side of the Monday 00:00 (Shanghai) that starts ISO week 2026-W42,
  which UTC puts in the other week;
* a unit per repair, so that repairs of one unit and category repeat within 90 days (and one pair
  91 days apart does not);
* a work order (``repair.completed``) for every resolution of a repair: a reopened repair has two; some
  are paid service, some done by a contractor (the repair's department is then the contractor);
* repair return visits, half of them without a project.

Every figure of the weekly report for 2026-W42 and of the week before, and every figure of the quality
report for 1-31 October (all repairs, per project, per department, the worst cases) must match.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from kefu_contracts import CaseOpened, Event, Money, RepairCompleted, SurveyAnswered, Topics

from e2e.test_monthly_report import (
    CONSUMED as MONTHLY_CONSUMED,
    SHANGHAI,
    UTC,
    Seed,
    SeedAnswer,
    answer_event,
    events_of,
    expected,
    figures_of,
    publish,
    same,
    seed_answers,
    seed_cases,
    sh,
)
from support.lag import lag
from support.routing_api import Tokens
from support.waiting import eventually

pytestmark = pytest.mark.e2e

WEEK, PREVIOUS_WEEK = "2026-W42", "2026-W41"  # Monday 12 October to Sunday 18 October 2026
FIRST, LAST = "2026-10-01", "2026-10-31"
CONSUMED = (*MONTHLY_CONSUMED, "repair.completed")
RESPONDED = ("in_progress", "waiting_on_owner", "resolved", "closed")
CONTRACTOR = "contractor_hx"


def week_of(moment: datetime) -> str:
    iso = moment.astimezone(SHANGHAI).date().isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def in_range(moment: datetime | None) -> bool:
    return moment is not None and FIRST <= moment.astimezone(SHANGHAI).date().isoformat() <= LAST


# --- the seed -----------------------------------------------------------------------------------

@dataclass
class Order:
    case_id: str
    work_order_id: str
    department: str
    under_warranty: bool
    cost: str
    completed_at: datetime


@dataclass
class Visit:
    survey_id: str
    case_id: str
    answered: datetime
    csat: int
    with_project: bool


def week_edges() -> tuple[list[Seed], list[SeedAnswer]]:
    cases = [
        Seed("wk-mon-first", "inquiry", sh(10, 12, 0, 10), "滨江花园", "customer_service", "hotline",
             respond_by=sh(10, 12, 4), resolve_by=sh(10, 14), statuses=[("in_progress", sh(10, 12, 1))]),
        Seed("wk-sun-last", "complaint", sh(10, 18, 23, 50), "翠湖苑", "engineering", "wechat", "leak", level=1,
             respond_by=sh(10, 19, 4), resolve_by=sh(10, 22), statuses=[("in_progress", sh(10, 19, 5))]),
        Seed("wk-next-mon", "repair", sh(10, 19, 0, 5), "滨江花园", "engineering", "app", "plumbing",
             respond_by=sh(10, 19, 4), resolve_by=sh(10, 22)),
        Seed("wk-prev-sun", "suggestion", sh(10, 11, 23, 55), "滨江花园", "customer_service", "web",
             respond_by=sh(10, 12, 4), resolve_by=sh(10, 15), statuses=[("in_progress", sh(10, 12, 0, 30))]),
        # A repeat 25 days after a September repair of the same unit and category; a pair 91 days apart is not.
        Seed("rep-sep", "repair", sh(9, 20, 10), "滨江花园", "property", "hotline", "doors_windows",
             respond_by=sh(9, 20, 14), resolve_by=sh(9, 23), statuses=[("in_progress", sh(9, 20, 11)),
                                                                        ("resolved", sh(9, 21, 16))]),
        Seed("rep-oct", "repair", sh(10, 15, 10), "滨江花园", "property", "hotline", "doors_windows",
             respond_by=sh(10, 15, 14), resolve_by=sh(10, 18), statuses=[("in_progress", sh(10, 15, 15)),
                                                                         ("resolved", sh(10, 19, 9))]),
        Seed("far-jul", "repair", sh(7, 16, 10), "翠湖苑", "engineering", "hotline", "heating_cooling",
             respond_by=sh(7, 16, 14), resolve_by=sh(7, 19), statuses=[("in_progress", sh(7, 16, 11))]),
        Seed("far-oct", "repair", sh(10, 15, 11), "翠湖苑", "engineering", "hotline", "heating_cooling",
             respond_by=sh(10, 15, 15), resolve_by=sh(10, 18), statuses=[("in_progress", sh(10, 15, 12))]),
    ]
    answers = [SeedAnswer("sv-wk-in", "wk-mon-first", sh(10, 12, 0, 2), 2, 3, with_project=True),
               SeedAnswer("sv-wk-before", "wk-prev-sun", sh(10, 11, 23, 58), 5, 10, with_project=True),
               SeedAnswer("sv-wk-after", "wk-sun-last", sh(10, 19, 0, 1), 1, 0, with_project=False)]
    return cases, answers


UNITS = {"rep-sep": "0808", "rep-oct": "0808", "far-jul": "0909", "far-oct": "0909"}


def unit_of(seed: Seed) -> str:
    if seed.case_id in UNITS:
        return UNITS[seed.case_id]
    digits = "".join(ch for ch in seed.case_id if ch.isdigit())
    return f"{int(digits or 0) // 3 % 3 + 1:02d}01"  # three units per project (repairs are every third case)


def work_orders(cases: list[Seed]) -> list[Order]:
    """One work order per resolution of a repair (a reopened repair's second one has its own id)."""
    out = []
    for k, c in enumerate(x for x in cases if x.kind == "repair"):
        resolutions = [at for s, at in c.statuses if s == "resolved"]
        for n, at in enumerate(resolutions):
            out.append(Order(c.case_id, f"wo-{c.case_id}" + "-r" * n,
                             CONTRACTOR if k % 4 == 3 else c.department, under_warranty=k % 3 != 0,
                             cost=f"{(k * 37) % 500}.{(k * 13) % 100:02d}", completed_at=at - timedelta(minutes=5)))
    return out


def visits(cases: list[Seed], orders: list[Order]) -> list[Visit]:
    csats = [5, 2, 4, 3, 5, 1, 4, 5]
    first_done = {}
    for o in orders:
        first_done.setdefault(o.case_id, o.completed_at)
    return [Visit(f"rv-{case_id}", case_id, at + timedelta(days=1), csats[i % len(csats)], with_project=i % 2 == 0)
            for i, (case_id, at) in enumerate(sorted(first_done.items()))]


def repair_events(cases: list[Seed], orders: list[Order], answered: list[Visit]) -> list[Event]:
    project_of = {c.case_id: c for c in cases}
    out: list[Event] = []
    for o in orders:
        c = project_of[o.case_id]
        out.append(RepairCompleted(
            event_id=f"done-{o.work_order_id}", correlation_id=f"call-{o.case_id}", causation_id=f"c-{o.work_order_id}",
            occurred_at=o.completed_at, case_id=o.case_id, work_order_id=o.work_order_id, project=c.project,
            building="3幢", unit=unit_of(c), department=o.department, under_warranty=o.under_warranty,
            cost=Money(amount=o.cost), completed_at=o.completed_at))
    for v in answered:
        c = project_of[v.case_id]
        out.append(SurveyAnswered(
            event_id=f"answered-{v.survey_id}", correlation_id=f"call-{v.case_id}", causation_id=f"c-{v.survey_id}",
            occurred_at=v.answered, survey_id=v.survey_id, kind="repair_return_visit",
            customer_id=f"cust-{v.case_id}", case_id=v.case_id, questionnaire_id="repair-v1", csat=v.csat,
            answered_at=v.answered, project=c.project if v.with_project else None))
    return out


def case_events(seed: Seed) -> list[Event]:
    """The monthly test's events of a case, its opening with the case's own unit."""
    return [e.model_copy(update={"unit": unit_of(seed)}) if isinstance(e, CaseOpened) else e for e in events_of(seed)]


# --- the quality report, computed here ----------------------------------------------------------

def responded(c: Seed) -> datetime | None:
    return min((at for s, at in c.statuses if s in RESPONDED), default=None)


def resolved(c: Seed) -> datetime | None:
    last = None
    for s, at in sorted(c.statuses, key=lambda x: x[1]):
        last = at if s == "resolved" else (None if s == "reopened" else last)
    return last


def judged(c: Seed, done: datetime | None, due: datetime | None, now: datetime) -> tuple[int, int]:
    """(on time, judged) for one deadline: judged when done or past due."""
    if due is None or (done is None and now <= due):
        return 0, 0
    return int(done is not None and done <= due), 1


def quality_expected(cases: list[Seed], orders: list[Order], answered: list[Visit], now: datetime) -> dict[str, Any]:
    repairs = {c.case_id: c for c in cases if c.kind == "repair"}
    latest: dict[str, Order] = {}
    for o in sorted(orders, key=lambda o: o.completed_at):
        latest[o.case_id] = o

    def dept(c: Seed) -> str:
        return latest[c.case_id].department if c.case_id in latest else c.department

    rows: dict[tuple[str, str], dict[str, Any]] = defaultdict(lambda: {
        "opened": 0, "completed": 0, "resp": [0, 0], "comp": [0, 0], "repeats": 0, "sat": [0, 0],
        "w_n": 0, "w_cost": Decimal("0"), "p_n": 0, "p_cost": Decimal("0")})

    def keys(project: str, department: str) -> list[tuple[str, str]]:
        return [("all", "all"), ("project", project), ("department", department)]

    repeats: dict[str, str] = {}
    for c in repairs.values():
        if not in_range(c.opened):
            continue
        earlier = [e for e in repairs.values() if e is not c and e.project == c.project and unit_of(e) == unit_of(c)
                   and e.category == c.category and e.opened < c.opened <= e.opened + timedelta(days=90)]
        if earlier:
            repeats[c.case_id] = max(earlier, key=lambda e: e.opened).case_id
        for key in keys(c.project, dept(c)):
            r = rows[key]
            r["opened"] += 1
            r["repeats"] += c.case_id in repeats
            for name, done, due in (("resp", responded(c), c.respond_by), ("comp", resolved(c), c.resolve_by)):
                ok, n = judged(c, done, due, now)
                r[name][0] += ok
                r[name][1] += n
    for o in orders:
        if not in_range(o.completed_at):
            continue
        for key in keys(repairs[o.case_id].project, o.department):
            r = rows[key]
            r["completed"] += 1
            if o.under_warranty:
                r["w_n"] += 1
                r["w_cost"] += Decimal(o.cost)
            else:
                r["p_n"] += 1
                r["p_cost"] += Decimal(o.cost)
    for v in answered:
        if in_range(v.answered):
            c = repairs[v.case_id]
            for key in keys(c.project, dept(c)):
                rows[key]["sat"][0] += v.csat >= 4
                rows[key]["sat"][1] += 1

    worst = []
    for c in repairs.values():
        if not in_range(c.opened):
            continue
        low = min((v.csat for v in answered if v.case_id == c.case_id and in_range(v.answered)), default=None)
        resp, n_resp = judged(c, responded(c), c.respond_by, now)
        comp, n_comp = judged(c, resolved(c), c.resolve_by, now)
        problems = [p for p, bad in (("late_response", n_resp and not resp), ("late_completion", n_comp and not comp),
                                     ("repeat", c.case_id in repeats), ("dissatisfied", low is not None and low < 4))
                    if bad]
        if problems:
            late = ((resolved(c) or now) - c.resolve_by).total_seconds() / 3600 if "late_completion" in problems \
                else None
            worst.append((c, problems, late, low))
    worst.sort(key=lambda w: (-len(w[1]), -(w[2] or 0), w[0].opened, w[0].case_id))
    return {"rows": dict(rows), "worst": worst[:10], "repeats": repeats}


def ratio(pair: list[int]) -> dict[str, Any]:
    return {"value": pair[0] / pair[1] if pair[1] else None, "numerator": pair[0], "denominator": pair[1]}


def as_report_row(scope: str, key: str, r: dict[str, Any]) -> dict[str, Any]:
    return {"scope": scope, "key": key, "repairs_opened": r["opened"], "repairs_completed": r["completed"],
            "on_time_response": ratio(r["resp"]), "on_time_completion": ratio(r["comp"]),
            "repeat_repairs": r["repeats"], "repeat_rate": ratio([r["repeats"], r["opened"]]),
            "return_visit_satisfaction": ratio(r["sat"]), "warranty_orders": r["w_n"],
            "warranty_cost": f"{r['w_cost']:.2f}", "paid_orders": r["p_n"], "paid_cost": f"{r['p_cost']:.2f}"}


def same_row(actual: dict[str, Any], wanted: dict[str, Any]) -> None:
    for name, value in wanted.items():
        if isinstance(value, dict) and value["value"] is not None:
            assert actual[name]["value"] == pytest.approx(value["value"]), (wanted["key"], name)
            assert (actual[name]["numerator"], actual[name]["denominator"]) == (
                value["numerator"], value["denominator"]), (wanted["key"], name)
        else:
            assert actual[name] == value, (wanted["key"], name)


# --- the test -----------------------------------------------------------------------------------

async def test_the_weekly_and_quality_reports_match_figures_computed_from_the_seed(services, producer, namespace,
                                                                                   infra, tmp_path: Path):
    tokens = Tokens.make()
    (dashboard,) = services("dashboard", KEFU_DASHBOARD_TOKENS=tokens.env())
    edges, edge_answers = week_edges()
    cases = seed_cases() + edges
    answers = seed_answers(seed_cases()) + edge_answers
    orders = work_orders(cases)
    answered = visits(cases, orders)
    project_of = {c.case_id: c.project for c in cases}
    events = [e for c in cases for e in case_events(c)] + [answer_event(a, project_of) for a in answers]
    await publish(producer, namespace, events + repair_events(cases, orders, answered))

    group = f"{namespace}.kefu-dashboard"

    async def behind() -> int:
        return sum([await lag(infra.kafka_bootstrap, group, Topics(namespace)(t)) for t in CONSUMED])

    await eventually(behind, lambda n: n == 0, timeout=180, what="the dashboard consumed every seeded event")
    # The weekly report counts every answer (as the monthly one does), the repair return visits too.
    all_answers = answers + [SeedAnswer(v.survey_id, v.case_id, v.answered, v.csat, None, v.with_project)
                             for v in answered]
    # The seed has the edges it means to have.
    assert week_of(sh(10, 12, 0, 10)) == WEEK and sh(10, 12, 0, 10).astimezone(UTC).day == 11
    quality_cases = [c for c in cases if c.kind == "repair" and in_range(c.opened)]
    assert len(quality_cases) >= 8 and any(c.case_id == "rep-oct" for c in quality_cases)

    async with tokens.client(dashboard.url, "manager") as manager:
        # --- the weekly report: every figure of the week and of the week before
        r = await manager.get("/api/report", params={"week": WEEK})
        assert r.status_code == 200, r.text
        weekly = r.json()
        now = datetime.now(UTC)
        assert weekly["period"] == "week" and weekly["week"] == WEEK and weekly["previous_week"] == PREVIOUS_WEEK
        want_week = expected(cases, all_answers, WEEK, now, period_of=week_of)
        want_prev = expected(cases, all_answers, PREVIOUS_WEEK, now, period_of=week_of)
        same(figures_of(weekly), want_week)
        same(figures_of(weekly, "previous"), want_prev)
        for f in weekly["figures"]:  # week on week: this week minus the week before
            key = (f["section"], f["name"])
            if want_week.get(key) is not None and want_prev.get(key) is not None:
                assert f["change"] == pytest.approx(want_week[key] - want_prev[key]), key
        assert want_week[("cases", "total")] > 5 and want_week[("quality", "major_complaints")] == 1  # aug-old
        r = await manager.get("/api/report", params={"week": WEEK, "project": "翠湖苑"})
        same(figures_of(r.json()), expected(cases, all_answers, WEEK, now, project="翠湖苑", period_of=week_of))

        r = await manager.get("/api/report", params={"week": WEEK, "format": "csv"})
        assert r.content.startswith(b"\xef\xbb\xbf")
        rows = {(x["section"], x["name"]): x for x in csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")))}
        assert all(x["week"] == WEEK for x in rows.values())
        assert rows[("cases", "total")]["value"] == str(want_week[("cases", "total")])
        assert rows[("cases", "total")]["previous"] == str(want_prev[("cases", "total")])
        sat, sat_prev = want_week[("quality", "satisfaction_rate")], want_prev[("quality", "satisfaction_rate")]
        assert rows[("quality", "satisfaction_rate")]["change"] == f"{(sat - sat_prev) * 100:+.1f}"
        for bad in ("2026-W54", "2025-W53", "2026-42", "W42"):
            r = await manager.get("/api/report", params={"week": bad})
            assert r.status_code == 422 and "W" in r.json()["detail"], bad
        r = await manager.get("/api/report", params={"week": WEEK, "month": "2026-10"})
        assert r.status_code == 422 and "both" in r.json()["detail"]

        # --- the quality report: every figure of every row, and the worst cases
        r = await manager.get("/api/report/quality", params={"from": FIRST, "to": LAST})
        assert r.status_code == 200, r.text
        report = r.json()
        now = datetime.now(UTC)
        want = quality_expected(cases, orders, answered, now)
        assert want["repeats"].get("rep-oct") == "rep-sep" and "far-oct" not in want["repeats"]
        wanted_rows = {k: as_report_row(*k, v) for k, v in want["rows"].items()}
        got_rows = {(x["scope"], x["key"]): x for x in [report["total"], *report["by_project"],
                                                        *report["by_department"]]}
        assert set(got_rows) == set(wanted_rows)
        assert ("department", CONTRACTOR) in got_rows
        for key, row in wanted_rows.items():
            same_row(got_rows[key], row)
        got_worst = report["worst_cases"]
        assert [(w["case_id"], w["problems"]) for w in got_worst] == [
            (c.case_id, problems) for c, problems, _, _ in want["worst"]]
        for w, (_, _, late, low) in zip(got_worst, want["worst"], strict=True):
            assert w["csat"] == low
            assert (w["hours_late"] is None) == (late is None) and (late is None or abs(w["hours_late"] - late) < 0.2)
        assert next(w for w in got_worst if w["case_id"] == "rep-oct")["repeats_case"] == "rep-sep"

        r = await manager.get("/api/report/quality", params={"from": FIRST, "to": LAST, "format": "csv"})
        table = r.content.decode("utf-8-sig").split("\r\n\r\n")[0]
        csv_rows = {(x["scope"], x["key"]): x for x in csv.DictReader(io.StringIO(table))}
        total = wanted_rows[("all", "all")]
        assert csv_rows[("all", "all")]["repairs_opened"] == str(total["repairs_opened"])
        assert csv_rows[("all", "all")]["warranty_cost"] == total["warranty_cost"]
        assert csv_rows[("all", "all")]["on_time_completion_basis"] == (
            f"{total['on_time_completion']['numerator']}/{total['on_time_completion']['denominator']}")
        for bad in ({"from": "2026-10-32", "to": LAST}, {"from": LAST, "to": FIRST}, {"from": FIRST}):
            assert (await manager.get("/api/report/quality", params=bad)).status_code == 422, bad
        async with tokens.client(dashboard.url, "engineering") as staff:
            assert (await staff.get("/api/report/quality", params={"from": FIRST, "to": LAST})).status_code == 403
            assert (await staff.get("/api/report", params={"week": WEEK})).status_code == 403

    # --- `kefu report --week` and `kefu report --quality` from the running service
    env = {**os.environ, "KEFU_DASHBOARD_TOKEN": tokens.plain["gm"]}

    def kefu(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "kefu_cli.main", "report", "--url", dashboard.url, *args],
                              capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)

    done = kefu("--week", WEEK, "--format", "csv")
    assert done.returncode == 0, done.stderr
    weekly_csv = (tmp_path / f"kefu-weekly-{WEEK}.csv").read_text(encoding="utf-8-sig")
    assert {(x["section"], x["name"]): x["value"] for x in csv.DictReader(io.StringIO(weekly_csv))}[
        ("cases", "total")] == str(want_week[("cases", "total")])
    done = kefu("--quality", "--from", FIRST, "--to", LAST, "--charts", "charts")
    assert done.returncode == 0, done.stderr
    page = (tmp_path / f"kefu-quality-{FIRST}-{LAST}.html").read_text(encoding="utf-8")
    assert "质检报告" in page and page.count("<svg") == 2 and "rep-oct" in page
    assert sorted(p.name for p in (tmp_path / "charts").iterdir()) == ["cost.png", "cost.svg", "rates.png",
                                                                       "rates.svg"]
    bad = kefu("--week", "2026-W54")
    assert bad.returncode == 2 and "W01 to W53" in bad.stderr
