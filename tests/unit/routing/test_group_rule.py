"""Which reports make a group complaint (群诉) and when in-unit repairs are a batch defect (``domain.groups``)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from kefu_routing.domain.complaints import ComplaintRef, find_group
from kefu_routing.domain.groups import (
    counts_for_group,
    default_group_rule,
    element_of,
    find_batch_defects,
    load_group_rule,
    parse_group_rule,
    suspects_batch,
)

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)
RULE = default_group_rule()


def ref(case: str, customer: str, at: datetime, *, kind: str = "repair", category: str | None = "plumbing",
        element: str | None = None, flags: tuple[str, ...] = (), building: str | None = "3幢") -> ComplaintRef:
    return ComplaintRef(case, customer, "滨江花园", building, category, at, kind=kind, element=element, flags=flags)


# ---- what counts toward a group ------------------------------------------------------------------

def test_complaints_count_whatever_their_category() -> None:
    for category in ("plumbing", "public_area", "leak", None):
        assert counts_for_group(ref("c", "o", NOW, kind="complaint", category=category), RULE)


def test_an_in_unit_repair_does_not_count_and_is_a_batch_suspect() -> None:
    tap = ref("c", "o", NOW, category="plumbing")
    assert not counts_for_group(tap, RULE)
    assert suspects_batch(tap, RULE)


@pytest.mark.parametrize("category", ["public_area", "structure"])
def test_a_repair_of_a_shared_category_counts(category: str) -> None:
    shared = ref("c", "o", NOW, category=category)
    assert counts_for_group(shared, RULE) and not suspects_batch(shared, RULE)


@pytest.mark.parametrize("element", ["elevator", "exterior_wall", "roof", "garage", "water_pressure"])
def test_a_repair_of_a_shared_building_element_counts_whatever_its_category(element: str) -> None:
    wall = ref("c", "o", NOW, category="leak", element=element)
    assert counts_for_group(wall, RULE) and not suspects_batch(wall, RULE)


def test_an_element_the_rule_does_not_list_as_shared_counts_for_nothing() -> None:
    assert not counts_for_group(ref("c", "o", NOW, element="kitchen_tap"), RULE)


def test_the_group_action_flag_makes_an_in_unit_repair_count() -> None:
    acting = ref("c", "o", NOW, category="plumbing", flags=("group_action",))
    assert counts_for_group(acting, RULE) and not suspects_batch(acting, RULE)
    assert not counts_for_group(ref("c", "o", NOW, flags=("flooding",)), RULE)


def test_other_kinds_and_uncategorised_repairs_are_neither() -> None:
    assert not counts_for_group(ref("c", "o", NOW, kind="inquiry", category=None), RULE)
    other = ref("c", "o", NOW, category="other")
    assert not counts_for_group(other, RULE) and not suspects_batch(other, RULE)
    assert not suspects_batch(ref("c", "o", NOW, building=None), RULE)


def test_elements_are_named_by_the_event_or_found_in_the_text() -> None:
    assert element_of("roof", "厨房水龙头坏了", RULE) == "roof"
    assert element_of(None, "3号电梯又停了，困在里面", RULE) == "elevator"
    assert element_of(None, "外墙渗水，家里墙面都湿了", RULE) == "exterior_wall"
    assert element_of(None, "The lift is out of order", RULE) == "elevator"
    assert element_of(None, "最近水压很低", RULE) == "water_pressure"
    assert element_of(None, "厨房水龙头漏水，请派人来修", RULE) is None
    assert element_of(None, "the uplift of the floor tiles", RULE) is None  # English words on word boundaries
    assert element_of("  ", "厨房水龙头漏水", RULE) is None


def test_three_owners_kitchen_taps_make_no_group_but_their_lift_complaints_do() -> None:
    taps = [ref(f"t{i}", f"o{i}", NOW + timedelta(hours=i)) for i in range(3)]
    counted = [t for t in taps if counts_for_group(t, RULE)]
    assert find_group(taps[-1], counted) is None
    lifts = [ref(f"l{i}", f"o{i}", NOW + timedelta(hours=i), kind="complaint", category="public_area")
             for i in range(3)]
    assert find_group(lifts[-1], [x for x in lifts if counts_for_group(x, RULE)]) == lifts


# ---- batch defects ---------------------------------------------------------------------------------

def test_three_owners_in_unit_repairs_within_the_window_are_one_batch_defect() -> None:
    taps = [ref(f"t{i}", f"o{i}", NOW + timedelta(days=i)) for i in range(3)]
    (found,) = find_batch_defects(taps, [], [], RULE)
    assert (found.project, found.building, found.category) == ("滨江花园", "3幢", "plumbing")
    assert list(found.members) == taps and found.lead == taps[0] and found.owners == 3


def test_two_owners_or_one_owner_three_times_are_no_batch() -> None:
    two = [ref("t1", "o1", NOW), ref("t2", "o2", NOW + timedelta(hours=1))]
    assert find_batch_defects(two, [], [], RULE) == []
    same = [ref(f"t{i}", "o1", NOW + timedelta(hours=i)) for i in range(3)]
    assert find_batch_defects(same, [], [], RULE) == []


def test_reports_further_apart_than_the_window_are_no_batch() -> None:
    spread = [ref(f"t{i}", f"o{i}", NOW + i * (RULE.batch_window / 2 + timedelta(seconds=1))) for i in range(3)]
    assert find_batch_defects(spread, [], [], RULE) == []


def test_earlier_reports_complete_a_batch_and_shared_or_other_reports_do_not() -> None:
    earlier = [ref("t1", "o1", NOW), ref("t2", "o2", NOW + timedelta(hours=1))]
    noise = [ref("w1", "o5", NOW, element="exterior_wall"), ref("c1", "o6", NOW, kind="complaint"),
             ref("g1", "o7", NOW, flags=("group_action",))]
    new = ref("t3", "o3", NOW + timedelta(hours=2))
    assert find_batch_defects([new], noise, [], RULE) == []
    (found,) = find_batch_defects([new], [*earlier, *noise, new], [], RULE)
    assert [m.case_id for m in found.members] == ["t1", "t2", "t3"]


def test_a_signal_within_one_window_covers_the_burst_once() -> None:
    taps = [ref(f"t{i}", f"o{i}", NOW + timedelta(hours=i)) for i in range(5)]
    (first,) = find_batch_defects(taps[:3], [], [], RULE)
    # the burst goes on: the later reports (and a redelivery of the first ones) find the signal and add none
    assert find_batch_defects(taps[3:], taps, [first.lead.opened_at], RULE) == []
    assert find_batch_defects(taps[:3], taps, [first.lead.opened_at], RULE) == []


def test_the_same_burst_is_found_whichever_report_is_processed_last() -> None:
    taps = [ref(f"t{i}", f"o{i}", NOW + timedelta(hours=i)) for i in range(3)]
    for new in taps:
        (found,) = find_batch_defects([new], taps, [], RULE)
        assert found.lead == taps[0] and list(found.members) == taps


def test_a_burst_more_than_a_window_after_the_last_signal_is_a_new_signal() -> None:
    later = NOW + 2 * RULE.batch_window
    taps = [ref(f"t{i}", f"o{i}", later + timedelta(hours=i)) for i in range(3)]
    (found,) = find_batch_defects(taps, [], [NOW], RULE)
    assert found.lead == taps[0]


def test_new_reports_spanning_two_windows_make_two_signals_in_one_call() -> None:
    first = [ref(f"a{i}", f"o{i}", NOW + timedelta(hours=i)) for i in range(3)]
    second = [ref(f"b{i}", f"p{i}", NOW + 2 * RULE.batch_window + timedelta(hours=i)) for i in range(3)]
    found = find_batch_defects([*second, *first], [], [], RULE)
    assert [f.lead.case_id for f in found] == ["a0", "b0"]


# ---- the rule file -----------------------------------------------------------------------------

def test_the_shipped_rule_places_every_intake_category_but_other() -> None:
    assert RULE.shared_categories == {"public_area", "structure"}
    assert RULE.in_unit_categories == {"leak", "electrical", "plumbing", "heating_cooling", "doors_windows",
                                       "decoration"}
    assert RULE.group_flag == "group_action"
    assert RULE.batch_min_owners == 3 and RULE.batch_window == timedelta(days=14)


def test_a_rule_file_replaces_categories_elements_and_thresholds() -> None:
    rule = load_group_rule("""
group_flag = "group_action"
[categories]
shared = ["public_area", "plumbing"]
in_unit = ["electrical"]
[elements]
gate = ["大门"]
[batch]
min_owners = 2
window_days = 1.5
""")
    assert counts_for_group(ref("c", "o", NOW, category="plumbing"), rule)
    assert element_of(None, "小区大门坏了", rule) == "gate"
    assert element_of(None, "电梯坏了", rule) is None
    two = [ref("e1", "o1", NOW, category="electrical"), ref("e2", "o2", NOW + timedelta(hours=30),
                                                               category="electrical")]
    assert len(find_batch_defects(two, [], [], rule)) == 1


@pytest.mark.parametrize("data, message", [
    ({"group_flag": "group_action", "categories": {"shared": ["leak"], "in_unit": ["leak"]},
      "batch": {"min_owners": 3, "window_days": 14}}, "both shared and in-unit"),
    ({"group_flag": "", "batch": {"min_owners": 3, "window_days": 14}}, "group_flag"),
    ({"group_flag": "group_action", "batch": {"min_owners": 1, "window_days": 14}}, "at least 2 owners"),
    ({"group_flag": "group_action", "batch": {"min_owners": 3, "window_days": 0}}, "longer than nothing"),
    ({"group_flag": "group_action", "batch": {"min_owners": 3}}, "window_days"),
    ({"group_flag": "group_action", "elements": {"lift": []}, "batch": {"min_owners": 3, "window_days": 14}},
     "non-empty word"),
    ({"group_flag": "group_action", "elements": {"lift": "电梯"}, "batch": {"min_owners": 3, "window_days": 14}},
     "list of words"),
])
def test_a_bad_rule_file_is_refused_with_a_reason(data: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_group_rule(data)
