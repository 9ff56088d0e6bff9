import pytest
from kefu_kit.auth import Principal, TokenBook, new_token, token_hash


def book(*entries):
    return TokenBook(list(entries))


def test_a_token_maps_to_its_role_and_department() -> None:
    t = new_token()
    b = book({"token_sha256": token_hash(t), "role": "department_staff", "department": "engineering", "name": "eng"})
    assert b.authenticate(t) == Principal("eng", "department_staff", "engineering")
    assert b.authenticate(t + "x") is None
    assert b.authenticate("") is None


def test_department_staff_see_only_their_department() -> None:
    eng = Principal("eng", "department_staff", "engineering")
    mgr = Principal("m", "cs_manager", None)
    assert eng.can_see({"department": "engineering"}) and not eng.can_see({"department": "property"})
    assert mgr.can_see({"department": "property"})


@pytest.mark.parametrize("entry", [
    {"token_sha256": "0" * 64, "role": "boss"},
    {"token_sha256": "0" * 64, "role": "department_staff"},
    {"token_sha256": "plain-token", "role": "cs_manager"},
])
def test_bad_token_settings_are_refused_clearly(entry) -> None:
    with pytest.raises(ValueError, match="token 0"):
        book(entry)
