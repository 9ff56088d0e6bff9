import pytest
from kefu_routing.domain.assignment import default_rules, parse_rules


@pytest.mark.parametrize(
    ("kind", "text", "department"),
    [
        ("inquiry", "请问房产证什么时候能办好", "title_certificates"),
        ("complaint", "按揭贷款一直批不下来", "finance"),
        ("complaint", "销售当初承诺的会所没有兑现", "sales"),
        ("complaint", "物业保安态度差", "property"),
        ("praise", "谢谢你们", "customer_service"),
    ],
)
def test_shipped_rules(kind: str, text: str, department: str) -> None:
    assert default_rules().assign(kind, None, "滨江花园", text)[0] == department


def test_the_same_repair_routes_by_warranty() -> None:
    rules = default_rules()
    assert rules.assign("repair", "leak", None, "卫生间漏水", under_warranty=True) == ("engineering", "repair.in_warranty")
    assert rules.assign("repair", "leak", None, "卫生间漏水", under_warranty=False) == ("property", "repair.paid_service")
    assert rules.assign("repair", "leak", None, "卫生间漏水", under_warranty=None) == (
        "engineering", "repair.verify_warranty")


def test_decision_names_its_rule() -> None:
    assert default_rules().assign("praise", None, None, "谢谢")[1] == "default"


def test_unknown_department_in_rules_is_refused() -> None:
    data = {"default_department": "cs", "department": [{"id": "cs", "name": "CS"}],
            "rule": [{"id": "r", "department": "nowhere"}]}
    with pytest.raises(ValueError, match="unknown department"):
        parse_rules(data)
