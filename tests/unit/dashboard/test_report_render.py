"""The report's renderings: CSV for Excel, the self-contained HTML page, the charts."""

from __future__ import annotations

import csv
import io
import re
import warnings
from datetime import timedelta, timezone
from xml.etree import ElementTree

import pytest

from kefu_dashboard.report import build_report, charts
from kefu_dashboard.report.render_csv import COLUMNS, report_csv
from kefu_dashboard.report.render_html import report_html
from test_report_build import AFTER, answer, case, escalation, november_cases, utc


@pytest.fixture(scope="module")
def report():
    d = utc(2026, 11, 10)
    cases = november_cases() + [
        case("late", d, kind="complaint", level=3, respond_by=d, responded_at=d + timedelta(hours=1),
             escalations=[escalation(3, d)], summary="屋面渗漏 <b>未修复</b>"),
        case("ok", d, respond_by=d, responded_at=d),
        case("ok-oct", utc(2026, 10, 10), respond_by=d, responded_at=d),
    ]
    answers = [answer(f"a{i}", d, csat=c, nps=n) for i, (c, n) in enumerate([(5, 10), (4, 9), (2, 3)])]
    return build_report(cases, answers, "2026-11", now=AFTER)


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def test_csv_starts_with_a_bom_and_has_one_row_per_figure(report) -> None:
    text = report_csv(report)
    assert text.startswith("\ufeffmonth,project,section,name,")
    assert "\r\n" in text
    data = rows(text)
    assert tuple(data[0]) == COLUMNS
    assert len(data) == len(report.figures)
    assert text.encode("utf-8").decode("utf-8-sig").splitlines()[0].split(",") == list(COLUMNS)


def test_csv_rates_are_percentages_with_targets_and_met(report) -> None:
    by = {(r["section"], r["name"]): r for r in rows(report_csv(report))}
    response = by[("quality", "on_time_response_rate")]
    assert (response["value"], response["unit"], response["basis"]) == ("50.0", "%", "1/2")
    assert (response["previous"], response["change"]) == ("100.0", "-50.0")
    assert (response["target"], response["met"]) == (">=95%", "no")
    sat = by[("quality", "satisfaction_rate")]
    assert (sat["value"], sat["previous"], sat["change"]) == ("66.7", "n/a", "n/a")
    assert (sat["target"], sat["met"]) == (">80%", "no")
    nps = by[("quality", "nps")]
    assert (nps["value"], nps["unit"], nps["basis"], nps["target"], nps["met"]) == ("33", "points", "n=3", "", "")
    resolution = by[("quality", "timely_resolution_rate")]
    assert (resolution["value"], resolution["target"], resolution["met"]) == ("n/a", "", "")
    major = by[("quality", "major_complaints")]
    assert (major["value"], major["previous"], major["change"]) == ("1", "0", "+1")
    assert (major["target"], major["met"]) == ("<5", "yes")
    leak = by[("category", "leak")]
    assert (leak["label"], leak["value"], leak["previous"], leak["change"]) == ("渗漏 leak", "3", "1", "+2")


def test_csv_of_an_empty_month_says_not_applicable() -> None:
    by = {(r["section"], r["name"]): r for r in rows(report_csv(build_report([], [], "2026-11", now=AFTER)))}
    assert by[("quality", "satisfaction_rate")]["value"] == "n/a"
    assert by[("quality", "satisfaction_rate")]["met"] == "n/a"
    assert by[("cases", "total")]["value"] == "0"


def test_the_html_page_is_self_contained_bilingual_and_carries_numbers_and_charts(report) -> None:
    page = report_html(report, charts.inline_svgs(report))
    assert page.startswith("<!doctype html>")
    assert "投诉月报 Monthly complaint report" in page
    assert "质量目标 Quality targets" in page and "重大投诉明细" in page
    assert page.count("<svg") == len(charts.CHARTS)
    assert "<?xml" not in page
    # nothing fetched from elsewhere
    assert not re.search(r"<(script|link|img)\b|\bsrc=|url\((?!#)", page)
    # escaped user text, numbers beside the charts
    assert "屋面渗漏 &lt;b&gt;未修复&lt;/b&gt;" in page
    assert "50.0%" in page and "1/2" in page and "✗ 未达标 missed" in page
    quality = page[page.index('id="quality"'):page.index('id="major-list"')]
    assert "<table>" in quality and "<svg" in quality


def test_the_page_without_charts_still_has_every_table() -> None:
    page = report_html(build_report([], [], "2026-11", project="滨江花园", now=AFTER))
    assert "<svg" not in page and "滨江花园" in page and "本月无案件 no cases" in page
    assert "本月无重大投诉" in page


@pytest.mark.parametrize("cjk", [True, False])
def test_every_chart_renders_as_svg_and_png_without_missing_glyphs(report, cjk: bool, monkeypatch) -> None:
    if not cjk:
        monkeypatch.setattr(charts, "cjk_family", lambda: None)
    elif charts.cjk_family() is None:
        pytest.skip("no CJK font installed")
    odd = case("odd", utc(2026, 11, 9), project="翠湖苑", department="客服中心")  # a key that is not ASCII
    filtered = build_report(november_cases() + [odd], [], "2026-11", project="翠湖苑", now=AFTER)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)" for a tofu box
        for name in charts.CHARTS:
            for r in (report, filtered):
                ElementTree.fromstring(charts.chart_svg(r, name).encode())  # well-formed
            assert charts.chart_png(report, name, dpi=50).startswith(b"\x89PNG\r\n\x1a\n")


def test_unknown_chart_names_are_refused(report) -> None:
    with pytest.raises(KeyError):
        charts.chart(report, "pie")


def test_an_empty_month_draws_every_chart() -> None:
    empty = build_report([], [], "2026-11", now=AFTER)
    assert all("<svg" in svg for svg in charts.inline_svgs(empty).values())


def test_report_time_is_shown_in_the_page(report) -> None:
    assert report.generated_at == AFTER.astimezone(timezone.utc)
    assert "2026-12-05 00:00 UTC" in report_html(report)
