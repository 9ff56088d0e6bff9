"""The monthly complaint report (投诉月报) on real servers, checked against figures this test computes itself.

Two months of contract events (September and October 2026, in Asia/Shanghai) go straight onto
the topics the dashboard consumes; once the dashboard has consumed them, the report it serves as
JSON and CSV, and the file ``kefu report`` writes, must give the numbers computed here from the
seed alone (with ``zoneinfo``, not the report's code). The seed has the edges that matter: cases
and answers a few minutes either side of a Shanghai month boundary that UTC puts in the other
month, a reopened case, a case resolved again after its deadline, a case still inside its
deadline, an older case escalated this month, a group complaint of three cases (one major
complaint), answers without a project.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiokafka import AIOKafkaProducer
from kefu_contracts import (
    CaseAssigned,
    CaseOpened,
    CaseStatusChanged,
    ComplaintEscalated,
    Event,
    SurveyAnswered,
    Topics,
    TOPICS,
)

from support.lag import lag
from support.routing_api import Tokens
from support.waiting import eventually

pytestmark = pytest.mark.e2e

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = timezone.utc
MONTH, PREVIOUS = "2026-10", "2026-09"
FAR = datetime(2099, 1, 1, tzinfo=UTC)  # a deadline still ahead whenever the test runs
CONSUMED = ("case.opened", "case.assigned", "case.status_changed", "complaint.escalated", "survey.answered")


def sh(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A Shanghai wall-clock time in 2026, as an aware UTC instant."""
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def month_of(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m")


# --- the seed -----------------------------------------------------------------------------------

@dataclass
class Seed:
    """One case as the test means it; its events are made from this, and so are the expected figures."""

    case_id: str
    kind: str
    opened: datetime
    project: str
    department: str
    channel: str
    category: str | None = None
    level: int | None = None  # at assignment (complaints)
    respond_by: datetime | None = None
    resolve_by: datetime | None = None
    statuses: list[tuple[str, datetime]] = field(default_factory=list)
    escalations: list[tuple[int, datetime, str]] = field(default_factory=list)
    group: tuple[str, list[str]] | None = None  # lead only: (group id, member case ids incl. the lead)
    member_level: int | None = None  # a group member's level, carried by its status events

    def levels(self) -> list[int]:
        return [x for x in [self.level, self.member_level, *(lvl for lvl, _, _ in self.escalations)] if x]


KINDS = ["repair", "complaint", "inquiry", "repair", "complaint", "suggestion", "repair", "praise", "complaint"]
REPAIR_CATEGORIES = ["leak", "electrical", "plumbing", "doors_windows"]
CHANNELS = ["hotline", "wechat", "app", "walk_in", "hotline", "web"]


def regular_cases(month: int, n: int, prefix: str) -> list[Seed]:
    """``n`` cases opened in ``month`` (Shanghai), with response and resolution patterns by index."""
    out = []
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        opened = sh(month, 1 + i % 28, 9 + i % 8, 5 * (i % 3))
        seed = Seed(
            case_id=f"{prefix}-{i:02d}", kind=kind, opened=opened,
            project="翠湖苑" if i % 3 == 0 else "滨江花园",
            department={"repair": "engineering" if i % 2 else "property", "complaint": "customer_service" if i % 2
                        else "engineering"}.get(kind, "customer_service"),
            channel=CHANNELS[i % len(CHANNELS)],
            category=REPAIR_CATEGORIES[i % 4] if kind == "repair" else ("leak" if kind == "complaint" and i % 2
                                                                        else None),
            level=1 if kind == "complaint" else None,
        )
        if kind != "praise":
            seed.respond_by, seed.resolve_by = opened + timedelta(hours=4), opened + timedelta(days=3)
        h, d = timedelta(hours=1), timedelta(days=1)
        seed.statuses = {
            0: [("in_progress", opened + h), ("resolved", opened + 2 * d)],
            1: [("in_progress", opened + 6 * h), ("resolved", opened + 4 * d)],
            2: [("in_progress", opened + 2 * h), ("resolved", opened + d), ("reopened", opened + 2 * d)],
            3: [],
            4: [("waiting_on_owner", opened + 3 * h), ("resolved", opened + 2 * d), ("reopened", opened + 2.5 * d),
                ("in_progress", opened + 2.6 * d), ("resolved", opened + 5 * d), ("closed", opened + 6 * d)],
        }[i % 5]
        if kind == "complaint" and i % 4 == 1:
            seed.escalations.append((2, opened + 5 * h, "sla_breach"))
        out.append(seed)
    return out


def seed_cases() -> list[Seed]:
    cases = regular_cases(10, 36, "oct") + regular_cases(9, 20, "sep")
    by_id = {c.case_id: c for c in cases}
    # Major complaints of October: two cases, and one group complaint of three (escalated once on its lead).
    by_id["oct-01"].escalations.append((3, sh(10, 3, 11), "urgent_keyword"))
    by_id["oct-04"].escalations.append((3, sh(10, 9, 15), "dissatisfied_return_visit"))
    group = "group-oct-bldg3"
    members = ["oct-grp-a", "oct-grp-b", "oct-grp-c"]
    for j, case_id in enumerate(members):
        cases.append(Seed(case_id, "complaint", sh(10, 20, 9 + j), "滨江花园", "engineering", "hotline", "leak",
                          level=1, respond_by=sh(10, 20, 13 + j), resolve_by=sh(10, 23, 9 + j),
                          statuses=[("in_progress", sh(10, 20, 10 + j))], member_level=3 if j else None))
    lead = cases[-3]
    lead.escalations.append((3, sh(10, 20, 12), "group_complaint"))
    lead.group = (group, members)
    # An August complaint escalated to level 3 in October: October's major complaint.
    cases.append(Seed("aug-old", "complaint", sh(8, 28), "翠湖苑", "customer_service", "letter", level=2,
                      respond_by=sh(8, 28, 14), resolve_by=sh(8, 31), statuses=[("in_progress", sh(8, 28, 11))],
                      escalations=[(3, sh(10, 12, 16), "repeat_complaint")]))
    # September's major complaint.
    by_id["sep-01"].escalations.append((3, sh(9, 5, 10), "urgent_keyword"))
    # Month edges: 1 October 00:10 in Shanghai is still September in UTC; 1 November 00:10 is October in UTC.
    cases.append(Seed("edge-oct-first", "repair", sh(10, 1, 0, 10), "滨江花园", "engineering", "app", "leak",
                      respond_by=sh(10, 1, 4, 10), resolve_by=sh(10, 4), statuses=[("in_progress", sh(10, 1, 1))]))
    cases.append(Seed("edge-nov-first", "complaint", sh(11, 1, 0, 10), "滨江花园", "engineering", "app", "leak",
                      level=1, respond_by=sh(11, 1, 4), resolve_by=sh(11, 4),
                      escalations=[(3, sh(11, 1, 1), "urgent_keyword")]))
    # An escalation to level 3 at 1 November 00:30 Shanghai (31 October in UTC): November's, not October's.
    by_id["oct-10"].escalations.append((3, sh(11, 1, 0, 30), "sla_breach"))
    # Still inside its (far) deadline and not responded: not judged yet.
    cases.append(Seed("oct-running", "inquiry", sh(10, 30), "滨江花园", "customer_service", "hotline",
                      respond_by=FAR, resolve_by=FAR))
    return cases


@dataclass
class SeedAnswer:
    survey_id: str
    case_id: str | None
    answered: datetime
    csat: int | None
    nps: int | None
    with_project: bool


def seed_answers(cases: list[Seed]) -> list[SeedAnswer]:
    oct_cases = [c for c in cases if c.case_id.startswith("oct-")]
    sep_cases = [c for c in cases if c.case_id.startswith("sep-")]
    csats = [5, 4, 5, 3, 4, 5, 5, 4, 5, 5, 1, 4, 4, 5, 4, 5, 4, 5, None, 5]
    npss = [10, 9, 8, 6, 9, 10, 3, 7, 9, 10, 0, None, 8, 9, 5, 10, 9, 10, 7, 10]
    out = [SeedAnswer(f"sv-oct-{i:02d}", oct_cases[i].case_id, sh(10, 5 + i, 15), c, n, with_project=i % 2 == 0)
           for i, (c, n) in enumerate(zip(csats, npss, strict=True))]
    out += [SeedAnswer(f"sv-sep-{i:02d}", sep_cases[i].case_id, sh(9, 10 + i, 15), c, n, with_project=True)
            for i, (c, n) in enumerate([(5, 9), (2, 4), (4, 8), (3, 6), (5, 10), (4, 9)])]
    # Month edges: 1 October 00:05 Shanghai counts for October, 1 November 00:05 does not.
    out.append(SeedAnswer("sv-edge-oct", None, sh(10, 1, 0, 5), 1, 0, with_project=True))
    out.append(SeedAnswer("sv-edge-nov", None, sh(11, 1, 0, 5), 5, 10, with_project=True))
    return out


# --- events -------------------------------------------------------------------------------------

def _chain(event_id: str) -> dict[str, Any]:
    return {"event_id": event_id, "correlation_id": f"call-{event_id}", "causation_id": f"cause-{event_id}"}


def events_of(seed: Seed) -> list[Event]:
    """The contract events routing and intake would have published for this case."""
    base = {"case_id": seed.case_id, "kind": seed.kind, "category": seed.category, "project": seed.project}
    customer = f"cust-{seed.case_id}"
    summary = f"[{seed.kind}] {seed.project} {seed.case_id}"
    level = seed.member_level or seed.level
    out: list[Event] = [
        CaseOpened(**_chain(f"{seed.case_id}-opened"), occurred_at=seed.opened, **base,
                   contact_id=f"call-{seed.case_id}", customer_id=customer, channel=seed.channel,
                   classified_by="agent", building="3幢", unit="0301",
                   body="测试案件"),
        CaseAssigned(**_chain(f"{seed.case_id}-assigned"), occurred_at=seed.opened + timedelta(minutes=1), **base,
                     department=seed.department, assignee="staff-1", summary=summary, respond_by=seed.respond_by,
                     resolve_by=seed.resolve_by, rule="test", level=seed.level),
    ]
    previous = "assigned"
    for status, at in seed.statuses:
        out.append(CaseStatusChanged(
            **_chain(f"{seed.case_id}-{status}-{at.isoformat()}"), occurred_at=at, **base, customer_id=customer,
            status=status, previous_status=previous, actor="staff-1", department=seed.department,
            assignee="staff-1", level=level, respond_by=seed.respond_by, resolve_by=seed.resolve_by))
        previous = status
    before = seed.level or 0
    for lvl, at, reason in seed.escalations:
        group = seed.group if reason == "group_complaint" else None
        chain = _chain(f"{seed.case_id}-escalated-{lvl}-{at.isoformat()}")
        if group:
            chain["causation_id"] = group[0]
        out.append(ComplaintEscalated(
            **chain, occurred_at=at, case_id=seed.case_id, level=lvl, previous_level=before, reason=reason,
            approver_role="cs_general_manager" if lvl > 1 else "cs_manager", project=seed.project,
            department=seed.department, summary=summary, respond_by=seed.respond_by or at,
            resolve_by=seed.resolve_by or at, related_case_ids=group[1] if group else []))
        before = lvl
    return out


def answer_event(a: SeedAnswer, project_of: dict[str, str]) -> SurveyAnswered:
    project = project_of.get(a.case_id or "", "滨江花园")
    return SurveyAnswered(**_chain(f"answered-{a.survey_id}"), occurred_at=a.answered, survey_id=a.survey_id,
                          kind="complaint_return_visit", customer_id=f"cust-{a.case_id or a.survey_id}",
                          case_id=a.case_id, questionnaire_id="complaint-v1", csat=a.csat, nps=a.nps,
                          answered_at=a.answered, project=project if a.with_project else None)


async def publish(producer: AIOKafkaProducer, ns: str, events: list[Event]) -> None:
    topic_of = {spec.model: name for name, spec in TOPICS.items()}
    for event in events:
        await producer.send(Topics(ns)(topic_of[type(event)]), event.to_json_bytes(), key=event.kafka_key().encode())
    await producer.flush()


# --- the expected report, computed here --------------------------------------------------------

def expected(cases: list[Seed], answers: list[SeedAnswer], month: str, now: datetime,
             project: str | None = None, period_of=month_of) -> dict[tuple[str, str], Any]:
    """(section, name) -> value, straight from the definitions in the issue; ``period_of`` gives the
    period of an instant ("2026-10"; the weekly report's test passes one giving "2026-W42")."""
    mine = [c for c in cases if project is None or c.project == project]
    opened = [c for c in mine if period_of(c.opened) == month]
    out: dict[tuple[str, str], Any] = {("cases", "total"): len(opened)}
    counters = {
        "kind": Counter(c.kind for c in opened),
        "category": Counter(c.category for c in opened if c.kind in ("repair", "complaint") and c.category),
        "level": Counter(str(max(c.levels(), default=0)) for c in opened if c.kind == "complaint"),
        "channel": Counter(c.channel for c in opened),
        "project": Counter(c.project for c in opened),
        "department": Counter(c.department for c in opened),
    }
    for section, counter in counters.items():
        out.update({(section, k): n for k, n in counter.items()})

    def responded(c: Seed) -> datetime | None:
        times = [at for s, at in c.statuses if s in ("in_progress", "waiting_on_owner", "resolved", "closed")]
        return min(times) if times else None

    def resolved(c: Seed) -> datetime | None:
        last = None
        for s, at in sorted(c.statuses, key=lambda x: x[1]):
            if s == "resolved":
                last = at
            elif s == "reopened":
                last = None
        return last

    def rate(done_of, due_of) -> float | None:
        judged = [(done_of(c), due_of(c)) for c in opened if due_of(c) and (done_of(c) or due_of(c) < now)]
        return sum(1 for done, due in judged if done and done <= due) / len(judged) if judged else None

    out[("quality", "on_time_response_rate")] = rate(responded, lambda c: c.respond_by)
    out[("quality", "timely_resolution_rate")] = rate(resolved, lambda c: c.resolve_by)
    major = {c.case_id for c in mine for lvl, at, _ in c.escalations if lvl == 3 and period_of(at) == month}
    out[("quality", "major_complaints")] = len(major)
    project_of = {c.case_id: c.project for c in cases}
    given = [a for a in answers if period_of(a.answered) == month
             and (project is None or project_of.get(a.case_id or "", "滨江花园") == project)]
    csats = [a.csat for a in given if a.csat is not None]
    out[("quality", "satisfaction_rate")] = sum(1 for c in csats if c >= 4) / len(csats) if csats else None
    scores = [a.nps for a in given if a.nps is not None]
    if scores:
        net = 100 * (sum(1 for s in scores if s >= 9) - sum(1 for s in scores if s <= 6)) / len(scores)
        out[("quality", "nps")] = int(net + 0.5) if net >= 0 else -int(-net + 0.5)
    else:
        out[("quality", "nps")] = None
    return out


def figures_of(report: dict[str, Any], key: str = "value") -> dict[tuple[str, str], Any]:
    """(section, name) -> the figure's ``key``; counts of 0 (a key only the other month has) left out."""
    return {(f["section"], f["name"]): f[key] for f in report["figures"]
            if f[key] != 0 or f["section"] in ("cases", "quality")}


def same(actual: dict[tuple[str, str], Any], wanted: dict[tuple[str, str], Any]) -> None:
    extra, missing = set(actual) - set(wanted), set(wanted) - set(actual)
    assert not extra and not missing, f"rows differ: extra {extra}, missing {missing}"
    for key, value in wanted.items():
        if isinstance(value, float):
            assert actual[key] == pytest.approx(value), key
        else:
            assert actual[key] == value, key


# --- the test -----------------------------------------------------------------------------------

async def test_the_monthly_report_matches_figures_computed_from_the_seed(services, producer, namespace, infra,
                                                                         tmp_path: Path):
    tokens = Tokens.make()
    (dashboard,) = services("dashboard", KEFU_DASHBOARD_TOKENS=tokens.env())
    cases = seed_cases()
    answers = seed_answers(cases)
    project_of = {c.case_id: c.project for c in cases}
    events = [e for c in cases for e in events_of(c)] + [answer_event(a, project_of) for a in answers]
    await publish(producer, namespace, events)

    group = f"{namespace}.kefu-dashboard"

    async def behind() -> int:
        return sum([await lag(infra.kafka_bootstrap, group, Topics(namespace)(t)) for t in CONSUMED])

    await eventually(behind, lambda n: n == 0, timeout=120, what="the dashboard consumed every seeded event")

    async with tokens.client(dashboard.url, "manager") as manager:
        r = await manager.get("/api/report", params={"month": MONTH})
        assert r.status_code != 404, "the dashboard service does not mount the report (report.api.make_router)"
        assert r.status_code == 200, r.text
        report = r.json()
        now = datetime.now(UTC)

        # Every figure of October and of September (the previous month), as computed here.
        assert report["month"] == MONTH and report["previous_month"] == PREVIOUS
        same(figures_of(report), expected(cases, answers, MONTH, now))
        same(figures_of(report, "previous"), expected(cases, answers, PREVIOUS, now))
        quality = {f["name"]: f for f in report["figures"] if f["section"] == "quality"}
        assert quality["major_complaints"]["value"] == 4  # oct-01, oct-04, the group, aug-old
        assert {m["case_id"] for m in report["major_complaints"]} == {"oct-01", "oct-04", "oct-grp-a", "aug-old"}
        assert quality["major_complaints"]["met"] is True  # fewer than 5
        sat = quality["satisfaction_rate"]
        assert sat["met"] is (sat["value"] > 0.80)
        assert quality["on_time_response_rate"]["met"] is (quality["on_time_response_rate"]["value"] >= 0.95)

        # One project: its cases and its answers (those without a project take their case's).
        r = await manager.get("/api/report", params={"month": MONTH, "project": "翠湖苑"})
        same(figures_of(r.json()), expected(cases, answers, MONTH, now, project="翠湖苑"))

        # CSV: the same numbers as percentages, with the BOM Excel needs.
        r = await manager.get("/api/report", params={"month": MONTH, "format": "csv"})
        assert r.content.startswith(b"\xef\xbb\xbf")
        table = csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")))
        rows = {(row["section"], row["name"]): row for row in table}
        want = expected(cases, answers, MONTH, now)
        assert rows[("quality", "satisfaction_rate")]["value"] == f"{want[('quality', 'satisfaction_rate')] * 100:.1f}"
        assert rows[("quality", "on_time_response_rate")]["value"] == \
            f"{want[('quality', 'on_time_response_rate')] * 100:.1f}"
        assert rows[("quality", "nps")]["value"] == str(want[("quality", "nps")])
        assert rows[("cases", "total")]["value"] == str(want[("cases", "total")])

        # The other roles may not read it.
        async with tokens.client(dashboard.url, "engineering") as staff:
            assert (await staff.get("/api/report", params={"month": MONTH})).status_code == 403
        assert (await manager.get("/api/report", params={"month": "2026-13"})).status_code == 422

    # `kefu report` writes the page and the charts from the running service.
    out, charts_dir = tmp_path / "report.html", tmp_path / "charts"
    done = subprocess.run(
        [sys.executable, "-m", "kefu_cli.main", "report", "--month", MONTH, "--url", dashboard.url,
         "--out", str(out), "--charts", str(charts_dir)],
        capture_output=True, text=True, timeout=120, env={**os.environ, "KEFU_DASHBOARD_TOKEN": tokens.plain["gm"]})
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    assert "投诉月报 Monthly complaint report" in page and page.count("<svg") == 5
    assert f"{want[('quality', 'satisfaction_rate')] * 100:.1f}%" in page
    assert sorted(p.name for p in charts_dir.iterdir()) == sorted(
        f"{n}.{e}" for n in ("targets", "kind", "category", "level", "department") for e in ("svg", "png"))
    refused = subprocess.run(
        [sys.executable, "-m", "kefu_cli.main", "report", "--month", MONTH, "--url", dashboard.url, "--out",
         str(tmp_path / "no.html")], capture_output=True, text=True, timeout=60,
        env={**os.environ, "KEFU_DASHBOARD_TOKEN": tokens.plain["property"]})
    assert refused.returncode == 1 and "403" in refused.stderr
