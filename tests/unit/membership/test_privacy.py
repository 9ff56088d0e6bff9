"""Members' contact details: in clear for the roles that contact owners, masked for the others."""

from __future__ import annotations

from kefu_kit.auth import Principal, Role

from kefu_membership.privacy import contact_for, mask_name

CONTACT = {"name": "王先生", "phone": "13800002222", "email": "wang.xiansheng@example.com",
           "wechat_openid": "oAbCdEfGh123456"}


def who(role: Role) -> Principal:
    return Principal("someone", role, None)


def test_people_who_contact_owners_see_the_contact_in_clear():
    for role in (Role.HOTLINE_AGENT, Role.CUSTOMER_RELATIONS, Role.CS_MANAGER, Role.CS_GENERAL_MANAGER,
                 Role.COMPLAINT_SPECIALIST, Role.AFTERSALES_SUPERVISOR):
        assert contact_for(who(role), CONTACT) == CONTACT


def test_the_analyst_and_service_accounts_get_every_personal_field_masked():
    for role in (Role.DATA_ANALYST, Role.OPS, Role.CHANNEL_ADAPTER):
        shown = contact_for(who(role), CONTACT)
        assert shown["name"] == "王**"
        assert shown["phone"] == "138****2222"
        assert shown["email"] == "w***@example.com"
        assert shown["wechat_openid"] != CONTACT["wechat_openid"] and "CdEfGh1234" not in shown["wechat_openid"]
        assert set(shown) == set(CONTACT), "masked, not dropped: the fields stay in the body"


def test_masking_keeps_what_is_not_personal_and_tolerates_missing_fields():
    shown = contact_for(who(Role.DATA_ANALYST), {"phone": "13900001111"})
    assert shown == {"phone": "139****1111"}
    assert contact_for(who(Role.DATA_ANALYST), {}) == {}
    assert mask_name("A") == "A*" and mask_name("  李四 ") == "李*" and mask_name("") == ""


def test_the_input_is_not_changed():
    original = dict(CONTACT)
    contact_for(who(Role.DATA_ANALYST), CONTACT)
    assert CONTACT == original
