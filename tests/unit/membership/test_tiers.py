from datetime import datetime, timezone

import pytest
from kefu_membership.domain.tiers import Standing, default_tier_table, full_years, parse_tier_table


def tier(points=0, properties=1, years=0) -> str:
    return default_tier_table().tier_for(Standing(points, properties, years)).id


@pytest.mark.parametrize(
    ("standing", "expected"),
    [
        ((0, 1, 0), "regular"),
        ((999, 1, 0), "regular"),
        ((1000, 1, 0), "silver"),
        ((0, 2, 0), "silver"),
        ((0, 1, 3), "silver"),
        ((4999, 1, 0), "silver"),
        ((5000, 1, 0), "gold"),
        ((0, 3, 0), "gold"),
        ((2000, 1, 5), "gold"),  # both minimums of one clause
        ((1999, 1, 5), "silver"),  # years alone reach silver, not gold
        ((20000, 1, 0), "diamond"),
        ((0, 5, 0), "diamond"),
        ((8000, 1, 10), "diamond"),
        ((7999, 1, 10), "gold"),
    ],
)
def test_tier_is_the_highest_whose_clause_holds(standing, expected):
    assert tier(*standing) == expected


def test_gold_and_above_are_vip():
    table = default_tier_table()
    assert [(t.id, t.name, t.vip) for t in table.tiers] == [
        ("regular", "普通", False), ("silver", "银卡", False), ("gold", "金卡", True), ("diamond", "钻石", True)]


def test_offers_are_open_from_their_tier_up():
    table = default_tier_table()
    assert table.at_least("gold", "silver") and table.at_least("gold", "gold")
    assert not table.at_least("silver", "gold")
    with pytest.raises(KeyError):
        table.at_least("platinum", "gold")


def test_full_years_count_on_the_anniversary():
    joined = datetime(2021, 3, 15, tzinfo=timezone.utc)
    assert full_years(joined, datetime(2024, 3, 14, 23, tzinfo=timezone.utc)) == 2
    assert full_years(joined, datetime(2024, 3, 15, tzinfo=timezone.utc)) == 3
    assert full_years(joined, datetime(2021, 1, 1, tzinfo=timezone.utc)) == 0


def test_a_replacement_table_is_data():
    table = parse_tier_table({"tier": [
        {"id": "a", "name": "普通"},
        {"id": "b", "vip": True, "when": [{"points": 10}]},
    ]})
    assert table.tier_for(Standing(10, 0, 0)).vip
    assert table.tier_for(Standing(9, 0, 0)).id == "a"


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        ([], "at least one tier"),
        ([{"id": "a", "when": [{"points": 1}]}], "takes no conditions"),
        ([{"id": "a"}, {"id": "b"}], "at least one `when`"),
        ([{"id": "a"}, {"id": "a", "when": [{"points": 1}]}], "unique"),
        ([{"id": "a"}, {"id": "b", "when": [{"stars": 1}]}], "unknown measure"),
        ([{"id": "a"}, {"id": "b", "when": [{"points": -1}]}], ">= 0"),
        ([{"id": "a"}, {"id": "b", "when": [{"points": 1.5}]}], ">= 0"),
        ([{"id": "a"}, {"id": "b", "when": [{}]}], "table of minimums"),
        ([{"id": "a", "vip": "yes"}], "true or false"),
        ([{"name": "普通"}], "needs an id"),
    ],
)
def test_bad_tables_are_refused(tiers, message):
    with pytest.raises(ValueError, match=message):
        parse_tier_table({"tier": tiers})
