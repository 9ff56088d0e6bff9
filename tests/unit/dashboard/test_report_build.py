"""The monthly complaint report's figures, each checked against an answer computed by hand."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from kefu_dashboard.report import Month, MonthError, build_report
from kefu_dashboard.report.targets import default_rules, parse_rules

UTC = timezone.utc
NOV = "2026-11"
AFTER = datetime(2026, 12, 5, tzinfo=UTC)  # report made after November's deadlines have passed


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def case(case_id: str, opened_at: datetime, **fields: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "_id": case_id, "customer_id": f"c-{case_id}", "kind": "inquiry", "category": None, "channel": "hotline",
        "project": "滨江花园", "department": "customer_service", "level": 0, "opened_at": opened_at,
        "respond_by": None, "resolve_by": None, "responded_at": None, "resolved_at": None, "escalations": [],
        "group_id": None,
    }
    doc.update(fields)
    return doc


def answer(survey_id: str, answered_at: datetime, csat: int | None = None, nps: int | None = None,
           project: str | None = "滨江花园", case_id: str | None = None) -> dict[str, Any]:
    return {"_id": survey_id, "survey_id": survey_id, "kind": "complaint_return_visit", "customer_id": "c",
            "case_id": case_id, "csat": csat, "nps": nps, "solved": None, "answered_at": answered_at,
            "project": project}


def escalation(level: int, at: datetime, reason: str = "sla_breach") -> dict[str, Any]:
    return {"event_id": f"e-{level}-{at.isoformat()}", "level": level, "previous_level": level - 1,
            "reason": reason, "approver_role": "cs_general_manager", "at": at, "related_case_ids": []}


def value(report, section: str, name: str):
    fig = report.figure(section, name)
    assert fig is not None, f"no figure {section}/{name}"
    return fig.value


# --- months -------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-1", "26-11", "2026/11", "", "november", "2026-11-01"])
def test_a_month_that_is_not_yyyy_mm_is_refused_with_a_clear_message(text: str) -> None:
    with pytest.raises(MonthError, match="YYYY-MM"):
        build_report([], [], text, now=AFTER)


def test_months_are_calendar_months_in_shanghai() -> None:
    nov = Month.parse("2026-11")
    assert nov.start == utc(2026, 10, 31, 16)  # 1 November 00:00 in Shanghai
    assert nov.end == utc(2026, 11, 30, 16)
    assert Month.parse("2026-01").previous() == Month(2025, 12)
    assert str(Month.parse("2027-01").previous()) == "2026-12"


def test_a_case_belongs_to_the_shanghai_month_it_was_opened_in_not_the_utc_one() -> None:
    cases = [
        case("oct-last-second", utc(2026, 10, 31, 15, 59, 59)),  # 31 Oct 23:59:59 Shanghai
        case("nov-first-instant", utc(2026, 10, 31, 16, 0, 0)),  # 1 Nov 00:00 Shanghai, still October in UTC
        case("nov-last", utc(2026, 11, 30, 15, 59, 59)),
        case("dec-first", utc(2026, 11, 30, 16, 0, 0)),  # still November in UTC
    ]
    report = build_report(cases, [], NOV, now=AFTER)
    assert value(report, "cases", "total") == 2
    assert report.figure("cases", "total").previous == 1
    answers = [answer("s1", utc(2026, 10, 31, 16), csat=5), answer("s2", utc(2026, 11, 30, 16), csat=1),
               answer("s3", utc(2026, 10, 31, 15, 59), csat=1)]
    report = build_report([], answers, NOV, now=AFTER)
    assert value(report, "quality", "satisfaction_rate") == 1.0  # only s1 is November's


def test_stored_naive_datetimes_and_iso_strings_are_utc_instants() -> None:
    cases = [case("naive", datetime(2026, 10, 31, 16, 0)),
             case("text", "2026-10-31T16:30:00Z")]  # type: ignore[arg-type]
    assert value(build_report(cases, [], NOV, now=AFTER), "cases", "total") == 2


# --- counts -------------------------------------------------------------------------------------

def november_cases() -> list[dict[str, Any]]:
    d = utc(2026, 11, 10)
    return [
        case("r1", d, kind="repair", category="leak", channel="hotline", department="engineering"),
        case("r2", d, kind="repair", category="leak", channel="wechat", department="engineering"),
        case("r3", d, kind="repair", category="electrical", channel="app", department="property", project="翠湖苑"),
        case("c1", d, kind="complaint", category="leak", level=1, channel="hotline", department="engineering"),
        case("c2", d, kind="complaint", category=None, level=2, channel="walk_in", department="sales"),
        case("c3", d, kind="complaint", category=None, level=3, channel="hotline", department="customer_service"),
        case("c4", d, kind="complaint", category=None, level=0, channel="hotline", department=None),
        # an inquiry's category is not counted
        case("i1", d, kind="inquiry", category="leak", channel="web", department="customer_service"),
        case("p1", d, kind="praise", channel=None, project=None),
        # October
        case("r0", utc(2026, 10, 10), kind="repair", category="leak", department="engineering"),
        case("c0", utc(2026, 10, 10), kind="complaint", category="plumbing", level=3, department="engineering"),
    ]


def test_counts_by_kind_category_level_channel_project_and_department() -> None:
    report = build_report(november_cases(), [], NOV, now=AFTER)
    counts = {(f.section, f.name): (f.value, f.previous) for f in report.figures if f.unit == "count"}
    assert counts[("cases", "total")] == (9, 2)
    assert {k[1]: v for k, v in counts.items() if k[0] == "kind"} == {
        "complaint": (4, 1), "repair": (3, 1), "inquiry": (1, 0), "praise": (1, 0)}
    # repairs and complaints with a category only; the inquiry's category is not counted
    assert {k[1]: v for k, v in counts.items() if k[0] == "category"} == {
        "leak": (3, 1), "electrical": (1, 0), "plumbing": (0, 1)}
    # complaints only, highest level reached; 0 = not levelled yet
    assert {k[1]: v for k, v in counts.items() if k[0] == "level"} == {
        "0": (1, 0), "1": (1, 0), "2": (1, 0), "3": (1, 1)}
    assert {k[1]: v for k, v in counts.items() if k[0] == "channel"} == {
        "hotline": (4, 2), "walk_in": (1, 0), "web": (1, 0), "wechat": (1, 0), "app": (1, 0), "unknown": (1, 0)}
    assert {k[1]: v for k, v in counts.items() if k[0] == "project"} == {
        "unknown": (1, 0), "滨江花园": (7, 2), "翠湖苑": (1, 0)}
    assert {k[1]: v for k, v in counts.items() if k[0] == "department"} == {
        "engineering": (3, 2), "property": (1, 0), "sales": (1, 0), "customer_service": (3, 0), "unassigned": (1, 0)}


def test_month_on_month_change_is_this_month_minus_the_previous() -> None:
    report = build_report(november_cases(), [], NOV, now=AFTER)
    assert report.previous_month == "2026-10"
    assert report.figure("cases", "total").change == 7
    assert report.figure("category", "plumbing").change == -1
    assert report.figure("kind", "complaint").change == 3


def test_rows_follow_the_labels_order_and_carry_chinese_with_english_labels() -> None:
    report = build_report(november_cases(), [], NOV, now=AFTER)
    assert [f.name for f in report.section("kind")] == ["complaint", "repair", "inquiry", "praise"]
    assert report.figure("department", "engineering").label == "工程部 / 项目公司 engineering"
    assert report.figure("quality", "major_complaints").label == "重大投诉 Major complaints"


def test_a_project_filter_keeps_only_that_projects_cases_and_answers() -> None:
    answers = [answer("a1", utc(2026, 11, 3), csat=5, project="翠湖苑"),
               answer("a2", utc(2026, 11, 3), csat=1, project="滨江花园"),
               answer("a3", utc(2026, 11, 3), csat=2, project=None, case_id="r3"),  # r3 is in 翠湖苑
               answer("a4", utc(2026, 11, 3), csat=2, project=None, case_id="unknown-case")]
    report = build_report(november_cases(), answers, NOV, project="翠湖苑", now=AFTER)
    assert report.project == "翠湖苑"
    assert value(report, "cases", "total") == 1
    assert [f.name for f in report.section("kind")] == ["repair"]
    sat = report.figure("quality", "satisfaction_rate")
    assert (sat.numerator, sat.denominator) == (1, 2)


# --- timeliness ---------------------------------------------------------------------------------

def test_on_time_response_rate_judges_only_responded_cases_and_those_past_their_deadline() -> None:
    d = utc(2026, 11, 10, 1)
    due = d + timedelta(hours=4)
    now = utc(2026, 11, 20)
    cases = [
        case("on-time", d, respond_by=due, responded_at=due),  # exactly at the deadline: on time
        case("late", d, respond_by=due, responded_at=due + timedelta(minutes=1)),
        case("missed", d, respond_by=due, responded_at=None),  # deadline passed, no response: late
        case("running", d, respond_by=now + timedelta(hours=1), responded_at=None),  # not judged yet
        case("early-bird", d, respond_by=now + timedelta(hours=1), responded_at=d),  # responded: on time
        case("no-deadline", d, respond_by=None, responded_at=d),  # not judged
    ]
    fig = build_report(cases, [], NOV, now=now).figure("quality", "on_time_response_rate")
    assert (fig.numerator, fig.denominator) == (2, 4)
    assert fig.value == 0.5
    assert fig.met is False


def test_on_time_response_target_is_met_at_exactly_95_percent() -> None:
    d = utc(2026, 11, 10)
    cases = [case(f"ok{i}", d, respond_by=d + timedelta(hours=1), responded_at=d) for i in range(19)]
    cases.append(case("late", d, respond_by=d + timedelta(hours=1), responded_at=d + timedelta(hours=2)))
    fig = build_report(cases, [], NOV, now=AFTER).figure("quality", "on_time_response_rate")
    assert fig.value == 0.95 and fig.met is True
    fig = build_report(cases + [case("late2", d, respond_by=d, responded_at=d + timedelta(seconds=1))], [], NOV,
                       now=AFTER).figure("quality", "on_time_response_rate")
    assert fig.met is False  # 19/21


def test_timely_resolution_of_reopened_cases() -> None:
    d = utc(2026, 11, 2)
    due = utc(2026, 11, 9)
    now = utc(2026, 11, 20)
    cases = [
        case("resolved", d, resolve_by=due, resolved_at=utc(2026, 11, 8)),
        # resolved in time, then reopened (the read model drops resolved_at), deadline passed: not timely
        case("reopened-overdue", d, resolve_by=due, resolved_at=None),
        # reopened and resolved again after the deadline: the latest resolution counts
        case("resolved-again-late", d, resolve_by=due, resolved_at=utc(2026, 11, 12)),
        # reopened with a new deadline still ahead: not judged yet
        case("reopened-running", d, resolve_by=utc(2026, 11, 25), resolved_at=None),
    ]
    fig = build_report(cases, [], NOV, now=now).figure("quality", "timely_resolution_rate")
    assert (fig.numerator, fig.denominator) == (1, 3)
    assert fig.value == pytest.approx(1 / 3)
    assert fig.target is None and fig.met is None  # named by the seeds without a number


# --- major complaints ---------------------------------------------------------------------------

def test_major_complaints_are_level_3_escalations_in_the_month_a_group_counting_once() -> None:
    nov = utc(2026, 11, 12)
    cases = [
        # opened in October, escalated to level 3 in November: November's major complaint
        case("old", utc(2026, 10, 20), kind="complaint", level=3, escalations=[escalation(3, nov)]),
        # level 2 only: not major
        case("serious", nov, kind="complaint", level=2, escalations=[escalation(2, nov)]),
        # a group complaint: escalated once on its lead; members carry the same group_id
        case("lead", nov, kind="complaint", level=3, group_id="g1",
             escalations=[escalation(3, nov, "group_complaint")]),
        case("member1", nov, kind="complaint", level=3, group_id="g1"),
        case("member2", nov, kind="complaint", level=3, group_id="g1",
             escalations=[escalation(3, nov + timedelta(hours=1), "sla_breach")]),  # still the same group
        # 1 December 01:00 in Shanghai (30 November in UTC): December's
        case("dec", nov, kind="complaint", level=3, escalations=[escalation(3, utc(2026, 11, 30, 17))]),
        # escalated to 3 twice in the month (reopened after a dissatisfied visit): once
        case("twice", nov, kind="complaint", level=3,
             escalations=[escalation(3, nov), escalation(3, nov + timedelta(days=2), "dissatisfied_return_visit")]),
        # October's
        case("oct", utc(2026, 10, 3), kind="complaint", level=3, escalations=[escalation(3, utc(2026, 10, 4))]),
    ]
    report = build_report(cases, [], NOV, now=AFTER)
    fig = report.figure("quality", "major_complaints")
    assert (fig.value, fig.previous, fig.change) == (3, 1, 2)
    assert fig.met is True
    listed = [(m.case_id, m.group_id) for m in report.major_complaints]
    assert listed == [("lead", "g1"), ("old", None), ("twice", None)]


def test_five_major_complaints_miss_the_target() -> None:
    d = utc(2026, 11, 12)
    cases = [case(f"m{i}", d, kind="complaint", level=3, escalations=[escalation(3, d)]) for i in range(5)]
    fig = build_report(cases, [], NOV, now=AFTER).figure("quality", "major_complaints")
    assert fig.value == 5 and fig.met is False
    assert build_report(cases[:4], [], NOV, now=AFTER).figure("quality", "major_complaints").met is True


# --- satisfaction and NPS -----------------------------------------------------------------------

def test_satisfaction_rate_is_the_share_of_csat_4_and_5() -> None:
    d = utc(2026, 11, 5)
    answers = [answer(f"s{i}", d, csat=c) for i, c in enumerate([5, 4, 3, 4, 2])] + [answer("no-csat", d, nps=10)]
    fig = build_report([], answers, NOV, now=AFTER).figure("quality", "satisfaction_rate")
    assert (fig.numerator, fig.denominator, fig.value, fig.met) == (3, 5, 0.6, False)


def test_satisfaction_must_be_above_80_percent_not_equal() -> None:
    d = utc(2026, 11, 5)
    answers = [answer(f"s{i}", d, csat=c) for i, c in enumerate([5, 5, 4, 4, 1])]
    fig = build_report([], answers, NOV, now=AFTER).figure("quality", "satisfaction_rate")
    assert fig.value == 0.8 and fig.met is False
    answers.append(answer("s9", d, csat=5))
    assert build_report([], answers, NOV, now=AFTER).figure("quality", "satisfaction_rate").met is True


@pytest.mark.parametrize(("scores", "expected"), [
    ([10, 9, 8, 7, 6, 0], 0),  # 2 promoters, 2 detractors
    ([10, 10, 6], 33),  # 66.7 - 33.3
    ([10, 8, 7, 7, 7, 7, 7, 7], 13),  # 12.5 rounds away from zero
    ([0, 8, 7, 7, 7, 7, 7, 7], -13),
    ([6, 5, 9], -33),
    ([10], 100),
    ([3], -100),
])
def test_nps_is_promoters_minus_detractors_as_an_integer(scores: list[int], expected: int) -> None:
    d = utc(2026, 11, 5)
    answers = [answer(f"n{i}", d, nps=s) for i, s in enumerate(scores)] + [answer("csat-only", d, csat=5)]
    fig = build_report([], answers, NOV, now=AFTER).figure("quality", "nps")
    assert fig.value == expected
    assert fig.denominator == len(scores)


# --- empty months -------------------------------------------------------------------------------

def test_an_empty_month_has_zero_counts_and_rates_that_are_not_applicable() -> None:
    report = build_report([], [], NOV, now=AFTER)
    assert value(report, "cases", "total") == 0
    for name in ("on_time_response_rate", "timely_resolution_rate", "satisfaction_rate", "nps"):
        fig = report.figure("quality", name)
        assert fig.value is None and fig.previous is None and fig.change is None and fig.met is None, name
    major = report.figure("quality", "major_complaints")
    assert (major.value, major.met) == (0, True)
    assert report.section("kind") == []


def test_a_rate_with_no_previous_denominator_has_no_change() -> None:
    d = utc(2026, 11, 5)
    fig = build_report([], [answer("s", d, csat=5)], NOV, now=AFTER).figure("quality", "satisfaction_rate")
    assert (fig.value, fig.previous, fig.change) == (1.0, None, None)


def test_the_report_serialises_to_json_ready_values() -> None:
    report = build_report(november_cases(), [answer("s", utc(2026, 11, 5), csat=5, nps=9)], NOV, now=AFTER)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["month"] == NOV and data["timezone"] == "Asia/Shanghai"
    sat = next(f for f in data["figures"] if f["name"] == "satisfaction_rate")
    assert sat["value"] == 1.0 and sat["met"] is True and sat["target"]["op"] == ">"


# --- targets as data ----------------------------------------------------------------------------

def test_the_seeds_targets_are_loaded_from_data() -> None:
    targets = default_rules().targets
    assert {name: (t.op, t.threshold) for name, t in targets.items()} == {
        "on_time_response_rate": (">=", 0.95), "major_complaints": ("<", 5.0), "satisfaction_rate": (">", 0.80)}


@pytest.mark.parametrize(("data", "message"), [
    ({"target": {"x": {"op": "~", "threshold": 1}}}, "op must be one of"),
    ({"target": {"x": {"op": ">"}}}, "needs 'threshold'"),
    ({"scores": {"satisfied_csat": 6}}, "CSAT"),
    ({"scores": {"promoter_nps": 5, "detractor_nps": 6}}, "NPS"),
])
def test_broken_targets_are_refused_on_load(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_rules(data)
