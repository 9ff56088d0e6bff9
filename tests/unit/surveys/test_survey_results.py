import pytest
from kefu_surveys.domain.results import Targets, nps, parse_targets, results_by_group, satisfaction_rate, summarise


def test_satisfaction_rate_is_the_share_of_csat_four_or_five() -> None:
    assert satisfaction_rate([5, 4, 3, 2, 1]) == pytest.approx(0.4)
    assert satisfaction_rate([4, 4, 4, 4]) == 1.0
    assert satisfaction_rate([]) is None


def test_nps_is_promoters_minus_detractors_in_percent() -> None:
    assert nps([10, 9, 8, 7, 6, 0]) == pytest.approx(100 * (2 - 2) / 6)
    assert nps([10, 10, 9, 8]) == pytest.approx(75.0)
    assert nps([0, 6, 7, 8]) == pytest.approx(-50.0)
    assert nps([7, 8]) == 0.0
    assert nps([]) is None


def test_the_target_is_satisfaction_above_80_percent() -> None:
    eight_of_ten = [{"csat": 5}] * 8 + [{"csat": 3}] * 2
    assert summarise(eight_of_ten)["satisfaction_rate"] == pytest.approx(0.8)
    assert summarise(eight_of_ten)["meets_target"] is False, "80% is not above 80%"
    assert summarise(eight_of_ten + [{"csat": 4}])["meets_target"] is True
    assert summarise([{"nps": 9}])["meets_target"] is None, "no CSAT answers: no verdict"


def test_results_per_project_department_and_month() -> None:
    answers = [
        {"project": "滨江花园", "department": "engineering", "month": "2026-05", "csat": 5, "nps": None},
        {"project": "滨江花园", "department": "engineering", "month": "2026-05", "csat": 1, "solved": False},
        {"project": "滨江花园", "department": None, "month": "2026-05", "csat": 4, "nps": 10},
        {"project": "翠湖天地", "department": "property", "month": "2026-06", "csat": 5, "nps": 3},
    ]
    out = results_by_group(answers)
    assert out["overall"]["answers"] == 4 and out["overall"]["satisfaction_rate"] == pytest.approx(0.75)
    assert out["overall"]["nps"] == pytest.approx(0.0)
    rows = {(g["project"], g["department"], g["month"]): g for g in out["groups"]}
    assert rows[("滨江花园", "engineering", "2026-05")]["satisfaction_rate"] == pytest.approx(0.5)
    assert rows[("滨江花园", "engineering", "2026-05")]["nps"] is None
    assert rows[("翠湖天地", "property", "2026-06")]["nps"] == pytest.approx(-100.0)
    assert rows[("滨江花园", None, "2026-05")]["meets_target"] is True


def test_targets_are_validated() -> None:
    assert parse_targets({"satisfaction_target": 0.9}).satisfaction_target == 0.9
    with pytest.raises(ValueError):
        Targets(satisfaction_target=80)
    with pytest.raises(ValueError):
        Targets(promoter_nps=6, detractor_nps=6)
