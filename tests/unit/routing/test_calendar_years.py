"""The business calendar's public holidays, one file per year, and what happens in a year without one."""

import importlib.util
import tomllib
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
import structlog.testing
from kefu_routing.calendar_gaps import CalendarGaps
from kefu_routing.domain import calendar as calendar_module
from kefu_routing.domain.calendar import default_calendar, load_calendar, parse_calendar, parse_year
from kefu_routing.domain.sla import deadlines
from prometheus_client import CollectorRegistry

SH = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)
ROOT = Path(__file__).resolve().parents[3]
SHIPPED = ROOT / "services/routing/src/kefu_routing/domain/holidays"
SCRIPT = ROOT / "services/routing/scripts/calendar_year.py"
BASE = {
    "timezone": "Asia/Shanghai",
    "weekdays": ["mon", "tue", "wed", "thu", "fri"],
    "hours": [{"from": "09:00", "to": "12:00"}, {"from": "13:00", "to": "18:00"}],
}

# A 2027 arrangement for the tests only (the 2027 notice is not in chinesecalendar 1.11.0, so no
# 2027 file ships): Spring Festival off Friday 5 to Saturday 13 February, make-up Saturdays
# 30 January and 20 February.
YEAR_2027 = {
    "year": 2027,
    "holidays": [{"name": "春节", "from": date(2027, 2, 5), "to": date(2027, 2, 13)}],
    "working_days": [{"name": "春节调休", "date": date(2027, 1, 30)},
                     {"name": "春节调休", "date": date(2027, 2, 20)}],
}


def sh(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SH)


@pytest.fixture
def cal_2027():
    return parse_calendar(BASE, [YEAR_2027])


# ---- a year with data ------------------------------------------------------------------------------


def test_a_deadline_over_the_2027_spring_festival_skips_it(cal_2027) -> None:
    # Thursday 4 February 17:00 plus 2 business hours: 1 h that evening, the holiday week and
    # Sunday 14 off, so the second hour is Monday 15 February 09:00-10:00.
    assert cal_2027.add(sh(2027, 2, 4, 17), 2 * H) == sh(2027, 2, 15, 10)
    assert cal_2027.missing_years(sh(2027, 2, 4, 17), sh(2027, 2, 15, 10)) == ()


def test_2027_make_up_saturdays_are_working_days(cal_2027) -> None:
    # Friday 29 January 17:00 plus 2 h lands on the make-up Saturday 30 January, not on Monday.
    assert cal_2027.add(sh(2027, 1, 29, 17), 2 * H) == sh(2027, 1, 30, 10)
    # Friday 19 February 17:00 plus 2 h: the make-up Saturday 20 February again.
    assert cal_2027.add(sh(2027, 2, 19, 17), 2 * H) == sh(2027, 2, 20, 10)
    assert cal_2027.is_working_day(date(2027, 2, 20)) and not cal_2027.is_working_day(date(2027, 2, 8))


def test_2027_data_reaches_the_sla_unflagged(cal_2027) -> None:
    due = deadlines("repair", 1, [], sh(2027, 2, 4, 17), cal_2027)
    assert due.respond_by == sh(2027, 2, 15, 10)
    assert due.missing_years == ()
    assert "WARNING" not in due.reason and due.reason.startswith("rule repair:")


# ---- a year without data ---------------------------------------------------------------------------


def test_a_deadline_in_a_year_without_data_is_counted_on_weekdays_and_flagged() -> None:
    cal = default_calendar()  # 2026 only
    assert cal.years == {2026}
    # Thursday 31 December 2026 17:00 + 24 business hours (repair resolve): 1 h that evening, then
    # Friday 1 January 2027 counts as a working day for want of data (8 h), Monday 4 (8 h) and
    # 7 h of Tuesday 5.
    due = deadlines("repair", 1, [], sh(2026, 12, 31, 17), cal)
    assert due.respond_by == sh(2027, 1, 1, 10)
    assert due.resolve_by == sh(2027, 1, 5, 17)
    assert due.missing_years == (2027,)
    assert "WARNING: no public holiday data for 2027, counted on weekdays only" in due.reason
    assert due.stored()["reason"] == due.reason and due.stored()["missing_years"] == [2027]


def test_a_wall_clock_deadline_needs_no_holidays_and_is_not_flagged() -> None:
    due = deadlines("repair", 1, ["gas"], sh(2027, 2, 8, 10), default_calendar())
    assert due.missing_years == () and "WARNING" not in due.reason


def test_a_deadline_inside_a_known_year_is_not_flagged() -> None:
    due = deadlines("repair", 1, [], sh(2026, 2, 13, 17), default_calendar())
    assert due.missing_years == () and "WARNING" not in due.reason


def test_missing_years_names_every_year_of_the_span() -> None:
    cal = default_calendar()
    assert cal.missing_years(sh(2025, 12, 31, 10), sh(2028, 1, 2, 10)) == (2025, 2027, 2028)
    assert cal.missing_years(sh(2028, 1, 2, 10), sh(2025, 12, 31, 10)) == (2025, 2027, 2028)
    # on the center's clock: 2026-12-31 16:30 UTC is already 2027 in Shanghai
    assert cal.missing_years(sh(2026, 12, 31, 10), datetime(2026, 12, 31, 16, 30, tzinfo=ZoneInfo("UTC"))) == (2027,)


def test_the_gap_is_counted_per_year_and_logged() -> None:
    registry = CollectorRegistry()
    gaps = CalendarGaps(registry)
    due = deadlines("repair", 1, [], sh(2026, 12, 31, 17), default_calendar())
    with structlog.testing.capture_logs() as logs:
        assert gaps.seen(due, "case-1") is due
        gaps.seen(deadlines("repair", 1, [], sh(2026, 3, 4, 10), default_calendar()), "case-2")
    assert registry.get_sample_value("kefu_calendar_year_missing_total", {"year": "2027"}) == 1
    assert registry.get_sample_value("kefu_calendar_year_missing_total", {"year": "2026"}) is None
    assert [(e["event"], e["log_level"], e["case_id"], e["years"]) for e in logs] == [
        ("calendar_year_missing", "warning", "case-1", [2027])]


# ---- the files ---------------------------------------------------------------------------------------


def test_shipped_year_files_load_and_match_chinesecalendar() -> None:
    """Each shipped year is the State Council's notice as the package has it, day for day."""
    cal = default_calendar()
    files = sorted(SHIPPED.glob("*.toml"))
    assert [f.stem for f in files] == ["2026"]
    for f in files:
        year, holidays, working_days = parse_year(tomllib.loads(f.read_text(encoding="utf-8")))
        assert holidays == {d for d in chinese_calendar.constants.holidays if d.year == year}
        assert working_days == {d for d in chinese_calendar.constants.workdays if d.year == year}
        assert holidays <= cal.holidays and working_days <= cal.working_days


def test_the_generator_writes_the_shipped_file() -> None:
    spec = importlib.util.spec_from_file_location("calendar_year", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.render(2026) == (SHIPPED / "2026.toml").read_text(encoding="utf-8")
    with pytest.raises(SystemExit, match="no holidays for 2027"):
        module.render(2027)


def test_the_generator_gives_a_late_december_new_year_to_the_next_notice() -> None:
    spec = importlib.util.spec_from_file_location("calendar_year", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    year, holidays, _ = parse_year(tomllib.loads(module.render(2023)))
    assert year == 2023 and date(2022, 12, 31) in holidays  # 元旦 2023: 31 December 2022 - 2 January
    assert date(2022, 12, 31) not in parse_year(tomllib.loads(module.render(2022)))[1]


def test_a_years_dir_adds_years(tmp_path: Path) -> None:
    (tmp_path / "2026.toml").write_bytes((SHIPPED / "2026.toml").read_bytes())
    (tmp_path / "2027.toml").write_text(
        'year = 2027\nholidays = [{ name = "春节", from = 2027-02-05, to = 2027-02-13 }]\n'
        'working_days = [{ name = "春节调休", date = 2027-02-20 }]\n', encoding="utf-8")
    cal = load_calendar(years_dir=tmp_path)
    assert cal.years == {2026, 2027}
    assert not cal.is_working_day(date(2027, 2, 8)) and not cal.is_working_day(date(2026, 2, 16))


@pytest.mark.parametrize(
    ("years", "message"),
    [
        ([YEAR_2027 | {"working_days": [{"name": "x", "date": date(2027, 2, 6)}]}],
         "both a holiday and a make-up working day"),
        ([YEAR_2027, {"year": 2028, "holidays": [{"name": "x", "from": date(2028, 1, 1), "to": date(2028, 1, 1)}],
                      "working_days": [{"name": "y", "date": date(2027, 2, 6)}]}],
         "is not in 2028"),
        ([YEAR_2027, YEAR_2027], "given twice"),
        ([YEAR_2027 | {"year": "2027"}], "needs its year"),
        ([YEAR_2027 | {"year": 2028}], "is not in 2028"),
        ([YEAR_2027 | {"holidays": []}], "no holiday given"),
        ([YEAR_2027 | {"holiday": []}], "unknown fields"),
        ([YEAR_2027 | {"working_days": [{"name": "x", "date": date(2027, 2, 3)}]}], "already an ordinary working day"),
        ([YEAR_2027 | {"holidays": [{"name": "x", "from": "2027-02-05", "to": date(2027, 2, 6)}]}], "expected a date"),
    ],
)
def test_bad_year_data_is_refused(years: list[dict], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_calendar(BASE, years)


def test_a_holiday_in_a_year_file_that_the_calendar_makes_a_working_day_is_refused() -> None:
    with pytest.raises(ValueError, match="both a holiday and a make-up working day"):
        parse_calendar(BASE | {"working_days": [{"name": "own", "date": date(2027, 2, 6)}]}, [YEAR_2027])


def test_a_year_file_named_for_another_year_is_refused(tmp_path: Path) -> None:
    (tmp_path / "2027.toml").write_text(
        'year = 2028\nholidays = [{ name = "x", from = 2028-01-01, to = 2028-01-01 }]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="2027.toml holds the holidays of 2028"):
        load_calendar(years_dir=tmp_path)
    assert calendar_module.shipped_years().joinpath("2026.toml").is_file()
