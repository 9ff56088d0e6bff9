import pytest
from kefu_contracts import Caller
from kefu_intake.domain.identity import UnidentifiableCaller, identify


def test_keys_strongest_first_and_canonical() -> None:
    ident = identify(Caller(customer_id="C000123", phone="+86 138-1234-5678", email="Li@Example.com"))
    assert ident.keys == ("cid:C000123", "phone:+8613812345678", "email:li@example.com")
    assert ident.new_customer_id() == "C000123"


def test_new_customer_id_is_derived_so_racing_instances_agree() -> None:
    a = identify(Caller(phone="13812345678")).new_customer_id()
    b = identify(Caller(phone="+86 138 1234 5678")).new_customer_id()
    assert a == b and a.startswith("cust-")


def test_local_number_without_area_code_is_kept_unverified_not_lost() -> None:
    assert identify(Caller(phone="8765 4321")).keys == ("phone:unverified:87654321",)


def test_caller_with_nothing_usable_cannot_be_identified() -> None:
    with pytest.raises(UnidentifiableCaller):
        identify(Caller(phone="110"))
