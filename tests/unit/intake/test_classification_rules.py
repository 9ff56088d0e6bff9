import pytest
from kefu_intake.domain.classification import classify, default_taxonomy, parse_taxonomy


def test_agent_kind_wins_but_rules_still_give_category_and_flags() -> None:
    result = classify("楼上漏水，燃气味也很重", agent_kind="complaint")
    assert result.kind == "complaint"
    assert result.category == "leak"
    assert "gas" in result.urgent_flags
    assert result.rules[0] == "agent:complaint"


def test_classification_is_explainable() -> None:
    result = classify("物业态度太差了，我要投诉")
    assert result.kind == "complaint"
    assert "complaint.explicit" in result.rules


def test_text_with_no_signal_is_an_inquiry() -> None:
    result = classify("你好")
    assert result.kind == "inquiry" and result.rules == ("default:inquiry",)


def test_a_repair_always_has_a_category() -> None:
    assert classify("家里东西坏了请来修").category == "other"


def test_taxonomy_rejects_rules_with_unknown_targets() -> None:
    data = {
        "version": "x",
        "kinds": {"priority": ["inquiry"], "default": "inquiry"},
        "categories": {"names": ["leak"]},
        "urgent": {"names": ["gas"]},
        "kind_rule": [{"id": "a", "kind": "complain", "any": ["投诉"]}],
    }
    with pytest.raises(ValueError, match="unknown target"):
        parse_taxonomy(data)


def test_shipped_taxonomy_loads() -> None:
    tax = default_taxonomy()
    assert set(tax.priority) == {"inquiry", "complaint", "suggestion", "repair", "praise"}
    assert len(tax.flags) == 10
