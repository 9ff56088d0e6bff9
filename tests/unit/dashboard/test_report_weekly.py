"""The weekly report (周报): ISO week bounds in Shanghai, week-on-week change, the renderers' wording."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest

from kefu_dashboard.report import build_report
from kefu_dashboard.report.render_csv import report_csv
from kefu_dashboard.report.render_html import report_html
from kefu_dashboard.report.weeks import Week, WeekError
from test_report_build import answer, case, utc, value

UTC = timezone.utc
AFTER = datetime(2027, 1, 20, tzinfo=UTC)


@pytest.mark.parametrize("text", ["2026-48", "2026W48", "2026-W0", "2026-W00", "2026-W54", "2025-W53", "W48",
                                  "2026-11", "", "2026-W48-1"])
def test_a_week_that_is_not_an_existing_iso_week_is_refused_with_a_clear_message(text: str) -> None:
    with pytest.raises(WeekError, match="W"):
        Week.parse(text)


def test_iso_weeks_run_monday_to_sunday_in_shanghai_and_cross_years() -> None:
    w48 = Week.parse("2026-W48")
    assert w48.start == utc(2026, 11, 22, 16)  # Monday 23 November 00:00 in Shanghai
    assert w48.end == utc(2026, 11, 29, 16)  # the next Monday
    assert w48.end - w48.start == timedelta(days=7)
    assert str(w48.previous()) == "2026-W47" and str(w48.next()) == "2026-W49"
    assert Week.parse("2026-w53") == Week(2026, 53)  # 2026 has 53 ISO weeks (it starts on a Thursday)
    assert str(Week.parse("2027-W01").previous()) == "2026-W53"
    assert str(Week.parse("2026-W01").previous()) == "2025-W52"
    assert Week.parse("2026-W01").start == utc(2025, 12, 28, 16)  # Monday 29 December 2025 in Shanghai
    assert not w48.contains(utc(2026, 11, 22, 15, 59, 59)) and w48.contains(utc(2026, 11, 22, 16))


def test_every_figure_has_its_week_on_week_change() -> None:
    w = Week.parse("2026-W48")
    mon, prev_mon = w.start, w.previous().start
    cases = [
        case("a", mon + timedelta(hours=1), kind="repair", category="leak", respond_by=mon + timedelta(hours=3),
             responded_at=mon + timedelta(hours=2)),
        case("b", mon + timedelta(days=6, hours=23), kind="repair", category="leak",
             respond_by=mon + timedelta(days=7, hours=1), responded_at=mon + timedelta(days=7, hours=2)),
        case("c", prev_mon + timedelta(days=1), kind="complaint", category="leak", level=1,
             respond_by=prev_mon + timedelta(days=1, hours=2), responded_at=prev_mon + timedelta(days=1, hours=1)),
        case("d", mon + timedelta(days=7), kind="repair"),  # the next week's Monday: not counted
    ]
    answers = [answer("s1", mon + timedelta(days=2), csat=5), answer("s2", mon + timedelta(days=3), csat=2),
               answer("s3", prev_mon + timedelta(days=3), csat=4)]
    r = build_report(cases, answers, w, now=AFTER)
    assert r.period == "week" and r.month == "2026-W48" and r.previous_month == "2026-W47"
    total = r.figure("cases", "total")
    assert (total.value, total.previous, total.change) == (2, 1, 1)
    assert value(r, "kind", "repair") == 2 and r.figure("kind", "repair").previous == 0
    assert r.figure("kind", "complaint").change == -1
    resp = r.figure("quality", "on_time_response_rate")
    assert (resp.numerator, resp.denominator, resp.previous_numerator, resp.previous_denominator) == (1, 2, 1, 1)
    assert resp.change == pytest.approx(0.5 - 1.0)
    sat = r.figure("quality", "satisfaction_rate")
    assert (sat.value, sat.previous, sat.change) == (0.5, 1.0, -0.5)
    data = r.to_dict()
    assert data["period"] == "week" and data["week"] == "2026-W48" and data["previous_week"] == "2026-W47"

    rows = list(csv.reader(io.StringIO(report_csv(r).lstrip("\ufeff"))))
    assert rows[0][0] == "week" and rows[1][0] == "2026-W48"
    by = {(x[2], x[3]): x for x in rows[1:]}
    assert by[("cases", "total")][6:9] == ["2", "1", "+1"]
    assert by[("quality", "satisfaction_rate")][6:9] == ["50.0", "100.0", "-50.0"]
    page = report_html(r)
    assert "投诉周报 Weekly complaint report" in page and "上周 2026-W47" in page and "本月" not in page
