from datetime import datetime, timedelta, timezone

from kefu_intake.domain.handover import handover_for, register_key
from kefu_intake.domain.problems import is_follow_up, problem_key

T = datetime(2026, 11, 1, 10, tzinfo=timezone.utc)
PROP = {"project": "滨江花园", "building": "3幢", "unit": "1202"}


def test_same_customer_property_and_category_is_one_problem_whatever_the_kind() -> None:
    assert problem_key("c1", PROP, "repair", "leak") == problem_key("c1", PROP, "complaint", "leak")
    assert problem_key("c1", PROP, "repair", "leak") != problem_key("c1", PROP, "repair", "electrical")
    assert problem_key("c1", PROP, "inquiry", None) != problem_key("c1", PROP, "praise", None)
    assert problem_key("c1", PROP, "repair", "leak") != problem_key("c2", PROP, "repair", "leak")
    assert problem_key("c1", {**PROP, "unit": "1201"}, "repair", "leak") != problem_key("c1", PROP, "repair", "leak")


def test_follow_up_only_while_open_and_within_the_window() -> None:
    window = timedelta(days=30)
    problem = {"open": True, "last_contact_at": T}
    assert is_follow_up(problem, T + window, window)
    assert not is_follow_up(problem, T + window + timedelta(seconds=1), window)
    assert not is_follow_up({**problem, "open": False}, T + timedelta(days=1), window)
    assert not is_follow_up(None, T, window)


def test_most_specific_handover_date_wins() -> None:
    unit_day, building_day, project_day = (T - timedelta(days=d) for d in (10, 20, 30))
    register = {register_key("滨江花园", "3幢", "1202"): unit_day, register_key("滨江花园", "3幢"): building_day,
                register_key("滨江花园"): project_day}
    assert handover_for(register, PROP) == unit_day
    assert handover_for(register, {**PROP, "unit": "0101"}) == building_day
    assert handover_for(register, {"project": "滨江花园", "building": "9幢"}) == project_day
    assert handover_for(register, {"project": "金沙湾"}) is None
    assert handover_for(register, None) is None
