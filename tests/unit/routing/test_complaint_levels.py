import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from kefu_routing.domain.complaints import (
    LEVELS,
    REASONS,
    ComplaintRef,
    GroupPolicy,
    approver_for,
    default_complaint_policy,
    escalate,
    find_group,
    group_key,
    initial_level,
    is_repeat,
    manual_level,
    parse_complaint_policy,
)

S = timedelta(seconds=1)
NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


# ---- initial level -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "flag",
    ["media", "lawsuit", "gov_hotline", "group_action", "gas", "fire", "electrocution", "falling_object",
     "flooding", "elevator_entrapment"],
)
def test_urgent_flags_make_a_serious_complaint(flag: str) -> None:
    assert initial_level([flag], vip=False) == (2, "urgent_keyword")


def test_vip_owner_starts_at_level_2() -> None:
    assert initial_level([], vip=True) == (2, "vip")


def test_flag_and_vip_at_the_same_level_names_the_flag() -> None:
    assert initial_level(["media"], vip=True) == (2, "urgent_keyword")


def test_ordinary_complaint_starts_at_level_1() -> None:
    assert initial_level([], vip=False) == (1, None)
    assert initial_level(["noise"], vip=False) == (1, None)  # not a flag the policy knows


def test_the_highest_level_wins() -> None:
    policy = parse_complaint_policy(_with(lambda d: d["initial"]["flags"].update(lawsuit=3)))
    assert initial_level(["media", "lawsuit"], vip=True, policy=policy) == (3, "urgent_keyword")
    vip3 = parse_complaint_policy(_with(lambda d: d["initial"].update(vip=3)))
    assert initial_level(["media"], vip=True, policy=vip3) == (3, "vip")


# ---- escalation ----------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["sla_breach", "repeat_complaint", "dissatisfied_return_visit"])
@pytest.mark.parametrize(("current", "after"), [(1, 2), (2, 3), (3, 3)])
def test_failures_raise_one_level_up_to_3(reason: str, current: int, after: int) -> None:
    assert escalate(current, reason) == after


@pytest.mark.parametrize("reason", ["urgent_keyword", "vip"])
@pytest.mark.parametrize(("current", "after"), [(1, 2), (2, 2), (3, 3)])
def test_serious_reasons_raise_to_at_least_2(reason: str, current: int, after: int) -> None:
    assert escalate(current, reason) == after


@pytest.mark.parametrize(("current", "after"), [(1, 3), (2, 3), (3, 3)])
def test_group_complaint_is_major(current: int, after: int) -> None:
    assert escalate(current, "group_complaint") == after


def test_escalate_refuses_manual_unknown_reasons_and_levels() -> None:
    with pytest.raises(ValueError, match="use manual_level"):
        escalate(1, "manual")
    with pytest.raises(ValueError, match="unknown escalation reason 'angry'"):
        escalate(1, "angry")
    for level in (0, 4, True):
        with pytest.raises(ValueError, match="current level must be one of"):
            escalate(level, "sla_breach")


@pytest.mark.parametrize(("current", "target"), [(1, 1), (1, 2), (1, 3), (2, 3), (3, 3)])
def test_manual_level_raises_or_keeps(current: int, target: int) -> None:
    assert manual_level(current, target) == target


@pytest.mark.parametrize(("current", "target", "message"), [
    (2, 1, "never lowered"), (3, 2, "never lowered"), (1, 4, "target level"), (1, 0, "target level"),
    (0, 1, "current level"),
])
def test_manual_level_refuses(current: int, target: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        manual_level(current, target)


def test_approver_for() -> None:
    assert [approver_for(level) for level in LEVELS] == ["cs_manager", "cs_general_manager", "cs_general_manager"]
    with pytest.raises(ValueError):
        approver_for(4)


# ---- repeat complaints ---------------------------------------------------------------------------


def test_is_repeat_window_is_inclusive() -> None:
    window = timedelta(days=30)
    assert is_repeat([NOW - window], NOW)
    assert not is_repeat([NOW - window - S], NOW)
    assert is_repeat([NOW - window - S, NOW - timedelta(days=1)], NOW)
    assert is_repeat([NOW], NOW)


def test_is_repeat_ignores_later_complaints_and_takes_its_window() -> None:
    assert not is_repeat([NOW + S], NOW)
    assert not is_repeat([], NOW)
    assert is_repeat([NOW - timedelta(days=7)], NOW, window=timedelta(days=7))
    assert not is_repeat([NOW - timedelta(days=7) - S], NOW, window=timedelta(days=7))
    with pytest.raises(ValueError, match="longer than nothing"):
        is_repeat([NOW], NOW, window=timedelta(0))
    with pytest.raises(ValueError, match="timezone-aware"):
        is_repeat([NOW], datetime(2026, 3, 4))


# ---- group complaints ----------------------------------------------------------------------------


def ref(case: str, customer: str, at: datetime, building: str | None = "3栋", category: str | None = "leak",
        project: str | None = "滨江花园") -> ComplaintRef:
    return ComplaintRef(case, customer, project, building, category, at)


def test_group_key() -> None:
    assert group_key(ref("c1", "o1", NOW)) == "滨江花园|3栋|leak"
    assert group_key(ref("c1", "o1", NOW, building=None)) is None
    assert group_key(ref("c1", "o1", NOW, category=None)) is None
    assert group_key(ref("c1", "o1", NOW, project=None)) is None


def test_three_owners_within_72_hours_are_a_group() -> None:
    window = timedelta(hours=72)
    a = ref("c1", "o1", NOW - window)  # exactly at the window's start: in
    b = ref("c2", "o2", NOW - timedelta(hours=1))
    new = ref("c3", "o3", NOW)
    assert find_group(new, [b, a]) == [a, b, new]


def test_a_second_too_early_is_not_in_the_group() -> None:
    a = ref("c1", "o1", NOW - timedelta(hours=72) - S)
    b = ref("c2", "o2", NOW - timedelta(hours=1))
    assert find_group(ref("c3", "o3", NOW), [a, b]) is None


def test_owners_must_be_distinct_but_all_their_complaints_are_members() -> None:
    a1 = ref("c1", "o1", NOW - timedelta(hours=5))
    a2 = ref("c2", "o1", NOW - timedelta(hours=4))
    b = ref("c3", "o2", NOW - timedelta(hours=3))
    assert find_group(ref("c4", "o2", NOW), [a1, a2, b]) is None  # two owners only
    new = ref("c4", "o3", NOW)
    assert find_group(new, [a1, a2, b]) == [a1, a2, b, new]


def test_only_same_project_building_and_category_count() -> None:
    others = [
        ref("c1", "o1", NOW - S, building="5栋"),
        ref("c2", "o2", NOW - S, category="electrical"),
        ref("c3", "o4", NOW - S, project="江南名城"),
        ref("c4", "o5", NOW - S, building=None),
    ]
    same = ref("c5", "o2", NOW - S)
    assert find_group(ref("c6", "o3", NOW), [*others, same]) is None


def test_later_complaints_count_because_processing_order_is_not_complaint_order() -> None:
    a = ref("c1", "o1", NOW - S)
    new = ref("c3", "o3", NOW)
    later = ref("c9", "o9", NOW + S)
    assert find_group(new, [later, a, new]) == [a, new, later]  # new counted once
    assert find_group(new, [a, new]) is None  # o1 and o3 only


def test_the_group_is_the_same_whichever_complaint_is_processed_last() -> None:
    hours = [0, 1, 2, 30, 50]
    refs = [ref(f"c{h}", f"o{h}", NOW + timedelta(hours=h)) for h in hours]
    for new in refs:
        assert find_group(new, refs) == refs, new


def test_one_window_must_hold_the_owners_not_two_windows_around_new() -> None:
    window = timedelta(hours=72)
    before = ref("c1", "o1", NOW - window + S)
    after = ref("c2", "o2", NOW + window - S)
    new = ref("c3", "o3", NOW)
    # Each is within 72 h of new, but the three are not within one 72 h window.
    assert find_group(new, [before, after]) is None
    closer = ref("c4", "o4", NOW + timedelta(hours=1))
    assert find_group(new, [before, after, closer]) == [new, closer, after]  # before shares no such window


def test_a_complaint_without_a_building_forms_no_group() -> None:
    recent = [ref("c1", "o1", NOW), ref("c2", "o2", NOW)]
    assert find_group(ref("c3", "o3", NOW, building=None), recent) is None


def test_group_policy_is_configurable_and_validated() -> None:
    two_in_a_day = GroupPolicy(min_owners=2, window=timedelta(hours=24))
    a = ref("c1", "o1", NOW - timedelta(hours=24))
    assert find_group(ref("c2", "o2", NOW), [a], two_in_a_day) == [a, ref("c2", "o2", NOW)]
    assert GroupPolicy() == GroupPolicy(3, timedelta(hours=72))
    with pytest.raises(ValueError, match="at least 2 owners"):
        GroupPolicy(min_owners=1)
    with pytest.raises(ValueError, match="longer than nothing"):
        GroupPolicy(window=timedelta(0))


# ---- data ----------------------------------------------------------------------------------------


def _shipped() -> dict[str, Any]:
    import tomllib
    from importlib import resources

    return tomllib.loads(resources.files("kefu_routing.domain").joinpath("complaints.toml").read_text("utf-8"))


def _with(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(_shipped())
    change(data)
    return data


def test_shipped_policy_knows_every_reason_but_manual() -> None:
    policy = default_complaint_policy()
    assert policy.steps | set(policy.at_least) == REASONS - {"manual"}
    reasons = {"sla_breach", "group_complaint", "repeat_complaint", "dissatisfied_return_visit", "urgent_keyword",
               "vip", "manual"}
    assert reasons == REASONS


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["escalation"]["step"].append("manual"), "unknown reason 'manual'"),
        (lambda d: d["escalation"]["step"].append("angry"), "unknown reason 'angry'"),
        (lambda d: d["escalation"]["step"].remove("sla_breach"), "every reason but manual"),
        (lambda d: d["escalation"]["step"].append("vip"), "both a step and an at_least"),
        (lambda d: d["escalation"]["at_least"].update(vip=4), "the level of reason vip"),
        (lambda d: d["initial"]["flags"].update(media=0), "the level of flag media"),
        (lambda d: d["initial"].pop("vip"), "the VIP level"),
        (lambda d: d["approvers"].pop("3"), "approvers must name a role for each level"),
        (lambda d: d["approvers"].update({"x": "cs_manager"}), "expected level"),
    ],
)
def test_parse_refuses_bad_policies(change: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_complaint_policy(_with(change))
