from decimal import Decimal
from typing import Any

import pytest
from kefu_routing.domain.approvals import (
    Authority,
    AuthorityTable,
    can_approve,
    default_authority_table,
    parse_authority_table,
    plan_approver,
    required_role,
)
from kefu_routing.domain.complaints import LEVELS, approver_for, default_complaint_policy

D = Decimal


@pytest.mark.parametrize(
    ("amount", "role"),
    [
        ("0", "complaint_specialist"),
        ("0.01", "complaint_specialist"),
        ("1000", "complaint_specialist"),
        ("1000.00", "complaint_specialist"),
        ("1000.01", "cs_manager"),
        ("10000.00", "cs_manager"),
        ("10000.01", "cs_general_manager"),
        ("2500000", "cs_general_manager"),
    ],
)
def test_required_role(amount: str, role: str) -> None:
    assert required_role(D(amount)) == role


@pytest.mark.parametrize(
    ("role", "amount", "allowed"),
    [
        ("complaint_specialist", "1000.00", True),
        ("complaint_specialist", "1000.01", False),
        ("cs_manager", "1000.01", True),
        ("cs_manager", "10000.00", True),
        ("cs_manager", "10000.01", False),
        ("cs_general_manager", "10000.01", True),
        ("cs_general_manager", "99999999.99", True),
        ("hotline_agent", "0", False),  # not in the table: approves nothing
        ("", "0", False),
    ],
)
def test_can_approve(role: str, amount: str, allowed: bool) -> None:
    assert can_approve(role, D(amount)) is allowed


def test_amounts_must_be_decimal_finite_and_not_negative() -> None:
    with pytest.raises(ValueError, match="negative"):
        can_approve("cs_manager", D("-0.01"))
    with pytest.raises(ValueError, match="negative"):
        can_approve("hotline_agent", D("-1"))  # the amount is checked before the role
    with pytest.raises(ValueError, match="negative"):
        required_role(D("-0.01"))
    with pytest.raises(ValueError, match="finite"):
        required_role(D("NaN"))
    with pytest.raises(TypeError, match="never float"):
        required_role(1000.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="never float"):
        can_approve("cs_manager", 5)  # type: ignore[arg-type]


def test_plan_approver_is_the_complaint_plan_approver() -> None:
    assert [plan_approver(level) for level in LEVELS] == ["cs_manager", "cs_general_manager", "cs_general_manager"]
    assert [plan_approver(level) for level in LEVELS] == [approver_for(level) for level in LEVELS]
    with pytest.raises(ValueError):
        plan_approver(0)


def test_plan_approvers_are_roles_of_the_authority_table() -> None:
    roles = {a.role for a in default_authority_table().roles}
    assert set(default_complaint_policy().approvers.values()) <= roles


def test_shipped_table_is_ordered_lowest_first() -> None:
    assert default_authority_table().roles == (
        Authority("complaint_specialist", "投诉专员", D("1000.00")),
        Authority("cs_manager", "客服经理", D("10000.00")),
        Authority("cs_general_manager", "客户服务中心总经理", None),
    )


def test_a_custom_table() -> None:
    table = AuthorityTable((Authority("a", "A", D("0")), Authority("b", "B", None)))
    assert required_role(D("0"), table) == "a"
    assert required_role(D("0.01"), table) == "b"
    assert can_approve("b", D("0.01"), table)


def role(id_: str, limit: Any = None) -> dict[str, Any]:
    return {"id": id_, "name": id_} | ({} if limit is None else {"limit": limit})


@pytest.mark.parametrize(
    ("roles", "message"),
    [
        ([], "at least one role"),
        ([role("a", "100")], "must approve any amount"),
        ([role("a"), role("b")], "only the highest role may have no limit"),
        ([role("a", "100"), role("b", "100"), role("c")], "must be above"),
        ([role("a", "100"), role("b", "99.99"), role("c")], "must be above"),
        ([role("a", "-1"), role("c")], "negative"),
        ([role("a", 1000.0), role("c")], "as a string"),
        ([role("a", 1000), role("c")], "as a string"),
        ([role("a", "lots"), role("c")], "not an amount"),
        ([role("a", "100"), role("a")], "only once"),
        ([{"name": "x"}], "needs an id"),
    ],
)
def test_parse_refuses_bad_tables(roles: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_authority_table({"role": roles})
