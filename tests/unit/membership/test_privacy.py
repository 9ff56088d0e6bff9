"""Members' contact details: in clear for the roles that contact owners, masked for the others."""

from __future__ import annotations

from kefu_kit.auth import Principal, Role

from kefu_membership.domain.members import MemberContact
from kefu_membership.privacy import contact_for, mask_name

CONTACT = {"name": "王先生", "phone": "13800002222", "email": "wang.xiansheng@example.com",
           "wechat_openid": "oAbCdEfGh123456"}


def who(role: Role) -> Principal:
    return Principal("someone", role, None)


def shown_to(role: Role, contact: dict) -> dict:
    """What ``role`` sees of a member's stored contact, as the body gives it."""
    return contact_for(who(role), MemberContact.from_doc(contact)).to_doc()


def test_people_who_contact_owners_see_the_contact_in_clear():
    for role in (Role.HOTLINE_AGENT, Role.CUSTOMER_RELATIONS, Role.CS_MANAGER, Role.CS_GENERAL_MANAGER,
                 Role.COMPLAINT_SPECIALIST, Role.AFTERSALES_SUPERVISOR):
        assert shown_to(role, CONTACT) == CONTACT


def test_the_analyst_and_service_accounts_get_every_personal_field_masked():
    for role in (Role.DATA_ANALYST, Role.OPS, Role.CHANNEL_ADAPTER):
        shown = shown_to(role, CONTACT)
        assert shown["name"] == "王**"
        assert shown["phone"] == "138****2222"
        assert shown["email"] == "w***@example.com"
        assert shown["wechat_openid"] != CONTACT["wechat_openid"] and "CdEfGh1234" not in shown["wechat_openid"]
        assert set(shown) == set(CONTACT), "masked, not dropped: the fields stay in the body"


def test_masking_keeps_what_is_not_personal_and_tolerates_missing_fields():
    shown = shown_to(Role.DATA_ANALYST, {"phone": "13900001111", "preferred_time": "evenings"})
    assert shown == {"phone": "139****1111", "preferred_time": "evenings"}, "a field the model does not know stays"
    assert shown_to(Role.DATA_ANALYST, {}) == {}
    assert mask_name("A") == "A*" and mask_name("  李四 ") == "李*" and mask_name("") == ""


def test_the_input_is_not_changed():
    contact = MemberContact.from_doc(CONTACT)
    for role in (Role.DATA_ANALYST, Role.HOTLINE_AGENT):
        shown = contact_for(who(role), contact)
        assert shown is not contact
        shown.name = "changed"
        assert contact.to_doc() == CONTACT
