from datetime import date, datetime, timedelta
from typing import Any

import pytest
from kefu_routing.domain.warranty import (
    SeasonWindow,
    WarrantyDecision,
    add_years,
    decide_warranty,
    default_warranty_policy,
    parse_warranty_policy,
)

DAY = timedelta(days=1)


def test_leak_is_covered_five_years_to_the_day() -> None:
    handover = date(2021, 6, 30)
    assert decide_warranty("leak", handover, date(2026, 6, 30)) == WarrantyDecision(
        True, date(2026, 6, 30), "防水 5 years from handover 2021-06-30: until 2026-06-30", "warranty.leak"
    )
    assert decide_warranty("leak", handover, date(2026, 7, 1)) == WarrantyDecision(
        False, date(2026, 6, 30), "防水 5 years from handover 2021-06-30: ended 2026-06-30", "warranty.leak"
    )


@pytest.mark.parametrize(
    ("category", "years"),
    [
        ("leak", 5),
        ("electrical", 2),
        ("plumbing", 2),
        ("decoration", 2),
        ("doors_windows", 2),
        ("public_area", 2),
        ("other", 2),
        ("structure", 50),
    ],
)
def test_periods_in_years(category: str, years: int) -> None:
    handover = date(2022, 3, 15)
    last = date(2022 + years, 3, 15)
    assert decide_warranty(category, handover, last).under_warranty is True
    assert decide_warranty(category, handover, last + DAY).under_warranty is False
    assert decide_warranty(category, handover, last).expires_on == last
    assert decide_warranty(category, handover, last).rule == f"warranty.{category}"


def test_the_handover_day_itself_is_covered() -> None:
    assert decide_warranty("electrical", date(2022, 3, 15), date(2022, 3, 15)).under_warranty is True


@pytest.mark.parametrize(
    ("handover", "years", "last"),
    [
        (date(2021, 2, 28), 5, date(2026, 2, 28)),
        (date(2020, 2, 29), 2, date(2022, 2, 28)),  # no 29 February in 2022: not into March
        (date(2020, 2, 29), 4, date(2024, 2, 29)),
        (date(2021, 12, 31), 2, date(2023, 12, 31)),
    ],
)
def test_years_are_calendar_years(handover: date, years: int, last: date) -> None:
    assert add_years(handover, years) == last


def test_leap_day_handover_ends_on_28_february() -> None:
    decision = decide_warranty("plumbing", date(2020, 2, 29), date(2022, 2, 28))
    assert (decision.under_warranty, decision.expires_on) == (True, date(2022, 2, 28))
    assert decide_warranty("plumbing", date(2020, 2, 29), date(2022, 3, 1)).under_warranty is False


def test_no_category_counts_as_other() -> None:
    decision = decide_warranty(None, date(2022, 1, 10), date(2024, 1, 10))
    assert decision == WarrantyDecision(
        True, date(2024, 1, 10), "其他项目 2 years from handover 2022-01-10: until 2024-01-10", "warranty.other"
    )


def test_an_unknown_category_counts_as_other_and_says_so() -> None:
    decision = decide_warranty("garden", date(2022, 1, 10), date(2024, 1, 11))
    assert (decision.under_warranty, decision.expires_on, decision.rule) == (False, date(2024, 1, 10), "warranty.other")
    assert "'garden' is not in the warranty table" in decision.reason


def test_unknown_handover_cannot_be_decided() -> None:
    decision = decide_warranty("leak", None, date(2024, 1, 10))
    assert (decision.under_warranty, decision.expires_on, decision.rule) == (None, None, "warranty.handover_unknown")
    assert "防水" in decision.reason
    assert "engineering must verify" in decision.reason


def test_before_handover_the_developer_remedies_the_defect() -> None:
    decision = decide_warranty("leak", date(2021, 6, 30), date(2021, 6, 29))
    assert (decision.under_warranty, decision.expires_on, decision.rule) == (
        True,
        date(2026, 6, 30),
        "warranty.before_handover",
    )
    assert "交付前" in decision.reason


def test_structure_runs_for_the_design_service_life() -> None:
    decision = decide_warranty("structure", date(2021, 6, 30), date(2071, 6, 30))
    assert decision.reason == (
        "地基基础和主体结构 design service life 50 years from handover 2021-06-30: until 2071-06-30"
    )
    data = _shipped_data() | {"design_service_life_years": 70}
    longer = decide_warranty("structure", date(2021, 6, 30), date(2071, 7, 1), parse_warranty_policy(data))
    assert (longer.under_warranty, longer.expires_on) == (True, date(2091, 6, 30))


# ---- heating and cooling seasons -----------------------------------------------------------------
# defaults: heating 11-15..03-15, cooling 06-01..09-30


@pytest.mark.parametrize(
    ("handover", "expires_on"),
    [
        # heating 2021/22 and 2022/23, cooling 2022 and 2023
        (date(2021, 6, 30), date(2023, 9, 30)),
        # the 2021 cooling season begins on the handover day: it counts (cooling 2021, 2022; heating to 2023-03-15)
        (date(2021, 6, 1), date(2023, 3, 15)),
        # a day later it does not: cooling 2022 and 2023
        (date(2021, 6, 2), date(2023, 9, 30)),
        # the heating season beginning on the handover day counts: heating 2021/22 and 2022/23, cooling 2022, 2023
        (date(2021, 11, 15), date(2023, 9, 30)),
        # one already running does not: heating 2022/23 and 2023/24
        (date(2021, 11, 16), date(2024, 3, 15)),
        (date(2021, 12, 1), date(2024, 3, 15)),
        # between seasons in spring: heating 2022/23, 2023/24; cooling 2022, 2023
        (date(2022, 4, 1), date(2024, 3, 15)),
    ],
)
def test_heating_cooling_covers_two_seasons_of_each_beginning_after_handover(handover: date, expires_on: date) -> None:
    covered = decide_warranty("heating_cooling", handover, expires_on)
    assert (covered.under_warranty, covered.expires_on, covered.rule) == (True, expires_on, "warranty.heating_cooling")
    assert decide_warranty("heating_cooling", handover, expires_on + DAY).under_warranty is False


def test_season_reason_names_the_last_seasons() -> None:
    decision = decide_warranty("heating_cooling", date(2021, 6, 30), date(2022, 1, 1))
    assert decision.reason == (
        "供热与供冷系统 2 heating and 2 cooling seasons (last heating season 2022-11-15..2023-03-15, "
        "last cooling season 2023-06-01..2023-09-30) from handover 2021-06-30: until 2023-09-30"
    )


def test_region_seasons() -> None:
    handover = date(2021, 12, 1)
    harbin = decide_warranty("heating_cooling", handover, date(2024, 4, 20), default_warranty_policy("harbin"))
    assert (harbin.under_warranty, harbin.expires_on) == (True, date(2024, 4, 20))  # heating 10-20..04-20
    shenyang = default_warranty_policy("shenyang")
    assert decide_warranty("heating_cooling", handover, date(2024, 1, 1), shenyang).expires_on == date(2024, 3, 31)
    assert shenyang.cooling == default_warranty_policy().cooling  # only heating is overridden
    with pytest.raises(ValueError, match="unknown warranty region 'atlantis'"):
        default_warranty_policy("atlantis")


def test_season_window_within_one_year_and_across_new_year() -> None:
    cooling = SeasonWindow((6, 1), (9, 30))
    assert cooling.nth_beginning_on_or_after(date(2021, 6, 1), 1) == (date(2021, 6, 1), date(2021, 9, 30))
    assert cooling.nth_beginning_on_or_after(date(2021, 6, 2), 2) == (date(2023, 6, 1), date(2023, 9, 30))
    heating = SeasonWindow((11, 15), (3, 15))
    assert heating.nth_beginning_on_or_after(date(2021, 1, 1), 1) == (date(2021, 11, 15), date(2022, 3, 15))


def test_dates_must_be_dates_not_datetimes() -> None:
    with pytest.raises(TypeError, match="local calendar day"):
        decide_warranty("leak", datetime(2021, 6, 30, 12), date(2022, 1, 1))
    with pytest.raises(TypeError, match="local calendar day"):
        decide_warranty("leak", date(2021, 6, 30), datetime(2022, 1, 1, 12))


# ---- data ----------------------------------------------------------------------------------------


def _shipped_data() -> dict[str, Any]:
    import tomllib
    from importlib import resources

    return tomllib.loads(resources.files("kefu_routing.domain").joinpath("warranty.toml").read_text("utf-8"))


def test_shipped_policy_covers_every_repair_category() -> None:
    categories = {
        "leak", "electrical", "plumbing", "heating_cooling", "doors_windows",
        "decoration", "structure", "public_area", "other",
    }
    policy = default_warranty_policy()
    assert set(policy.periods) == categories
    assert policy.design_service_life_years == 50
    assert (policy.heating, policy.cooling) == (SeasonWindow((11, 15), (3, 15)), SeasonWindow((6, 1), (9, 30)))


OTHER = {"category": "other", "term": "其他", "years": 2}
SEASONS = {"heating": {"from": "11-15", "to": "03-15"}, "cooling": {"from": "06-01", "to": "09-30"}}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"seasons": SEASONS, "period": []}, "needs a period for 'other'"),
        ({"seasons": SEASONS, "period": [OTHER | {"seasons": 2}]}, "exactly one of"),
        ({"seasons": SEASONS, "period": [{"category": "other", "term": "其他"}]}, "exactly one of"),
        ({"seasons": SEASONS, "period": [OTHER | {"years": 0}]}, "at least 1"),
        ({"seasons": SEASONS, "period": [OTHER | {"years": "2"}]}, "whole numbers"),
        ({"seasons": SEASONS, "period": [OTHER, OTHER]}, "given twice"),
        ({"seasons": SEASONS, "period": [OTHER | {"months": 3}]}, "unknown fields"),
        ({"seasons": SEASONS, "period": [OTHER | {"term": ""}]}, "needs a category and a term"),
        (
            {"seasons": SEASONS, "period": [{"category": "other", "term": "x", "design_service_life": "yes"}]},
            "true or false",
        ),
        ({"seasons": {"heating": SEASONS["heating"]}, "period": [OTHER]}, "both heating and cooling"),
        ({"seasons": SEASONS | {"monsoon": SEASONS["cooling"]}, "period": [OTHER]}, "heating and/or cooling"),
        ({"seasons": SEASONS | {"cooling": {"from": "6-01", "to": "09-30"}}, "period": [OTHER]}, "MM-DD"),
        ({"seasons": SEASONS | {"cooling": {"from": "06-01", "to": "02-29"}}, "period": [OTHER]}, "every year"),
        ({"seasons": SEASONS | {"cooling": {"from": "13-01", "to": "09-30"}}, "period": [OTHER]}, "every year"),
        ({"seasons": SEASONS | {"cooling": {"from": "06-01", "to": "06-01"}}, "period": [OTHER]}, "more than one day"),
        (
            {"seasons": SEASONS, "regions": {"x": {"seasons": {"heating": {"from": "1"}}}}, "period": [OTHER]},
            "regions.x.seasons.heating.from",
        ),
        ({"seasons": SEASONS, "period": [OTHER], "design_service_life_years": 0}, "at least 1"),
    ],
)
def test_parse_refuses_bad_data(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_warranty_policy(data)
