"""What GET /customers/{id} shows to whom: personal data masked for the roles that do not see it in clear."""

from __future__ import annotations

from datetime import datetime, timezone

from kefu_intake.access import mask_name, profile_view

AT = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
CUSTOMER = {"_id": "cust-1", "name": "孙女士", "created_at": AT, "phones": ["+8613900008888"],
            "emails": ["sun.li@example.com"],
            "properties": [{"project": "金沙湾", "building": "12幢", "unit": "0801"}]}
CONTACT = {"_id": "call-1", "customer_id": "cust-1", "caller_name": "孙女士", "channel": "hotline",
           "received_at": AT, "subject": "回电 13900008888",
           "body": "请打13900008888或写信到 sun.li@example.com，身份证110101199003071234",
           "case_id": "case-1", "classification": {"kind": "repair", "by": "rules"}}


def test_roles_that_see_personal_data_get_it_unchanged() -> None:
    view = profile_view(CUSTOMER, [CONTACT], sees_pii=True)
    assert view == {"customer": CUSTOMER, "contacts": [CONTACT]}


def test_the_others_get_names_phones_emails_and_free_text_masked() -> None:
    view = profile_view(CUSTOMER, [CONTACT], sees_pii=False)
    customer, (contact,) = view["customer"], view["contacts"]
    assert customer["name"] == "孙**"
    assert customer["phones"] == ["139****8888"] and customer["emails"] == ["s***@example.com"]
    assert customer["properties"] == CUSTOMER["properties"] and customer["_id"] == "cust-1"
    assert contact["caller_name"] == "孙**"
    text = contact["subject"] + contact["body"]
    for secret in ("13900008888", "sun.li", "110101199003071234"):
        assert secret not in text
    assert "139****8888" in contact["body"] and contact["case_id"] == "case-1"
    assert CONTACT["body"].startswith("请打13900008888")  # the stored record is not changed


def test_a_name_keeps_its_first_character_only() -> None:
    assert mask_name("王") == "王*" and mask_name("Li Wei") == "L*****" and mask_name(None) is None
