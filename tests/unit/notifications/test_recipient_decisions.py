from datetime import datetime, timedelta, timezone

import pytest
from kefu_contracts import CaseAssigned, CommunityEventSignupChanged, ComplaintEscalated, MemberJoined, SurveyDue
from kefu_notifications.domain.directory import default_directory, parse_directory
from kefu_notifications.domain.recipients import (
    OwnerContact,
    Preference,
    for_case_assigned,
    for_complaint_escalated,
    for_member_joined,
    for_signup_changed,
    for_survey_due,
    owner_channel,
)

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc)
ENVELOPE = {"event_id": "e1", "occurred_at": NOW, "correlation_id": "c1", "causation_id": "c0"}
DIRECTORY = parse_directory({
    "roles": {"cs_manager": {"name": "客服经理", "email": "mgr@example.com"},
              "cs_general_manager": {"name": "总经理", "webhook": "https://gm.example.com/hook"}},
    "departments": {"engineering": {"name": "工程部", "webhook": "https://eng.example.com/hook"}},
})


def assigned(**kw) -> CaseAssigned:
    data = {**ENVELOPE, "case_id": "K1", "department": "engineering", "assignee": "eng-02", "kind": "repair",
            "summary": "漏水", "rule": "repair.in_warranty", **kw}
    return CaseAssigned(**data)


def escalated(level: int, approver: str) -> ComplaintEscalated:
    return ComplaintEscalated(**ENVELOPE, case_id="K1", level=level, previous_level=level - 1, reason="sla_breach",
                              approver_role=approver, project="滨江花园", department="property", summary="噪音",
                              respond_by=NOW + timedelta(hours=2), resolve_by=NOW + timedelta(days=1))


def routes(planned) -> set[tuple[str, str]]:
    return {(p.recipient, p.channel) for p in planned}


def test_case_assigned_tells_the_department_on_all_its_channels_and_the_assignee() -> None:
    planned = for_case_assigned(assigned(), DIRECTORY)
    assert routes(planned) == {("department:engineering", "inbox"), ("department:engineering", "webhook"),
                               ("staff:eng-02", "inbox")}
    assert {p.template for p in planned} == {"case_assigned.department", "case_assigned.assignee"}
    assert all(p.audience == "staff" for p in planned)
    webhook = next(p for p in planned if p.channel == "webhook")
    assert webhook.address == "https://eng.example.com/hook" and webhook.fields["recipient_name"] == "工程部"


def test_unassigned_case_tells_the_department_only_and_an_unknown_department_still_has_its_inbox() -> None:
    planned = for_case_assigned(assigned(assignee=None, department="new_dept"), DIRECTORY)
    assert routes(planned) == {("department:new_dept", "inbox")}


@pytest.mark.parametrize(("level", "approver", "channel"), [(1, "cs_manager", "email"),
                                                            (2, "cs_general_manager", "webhook"),
                                                            (3, "cs_general_manager", "webhook")])
def test_escalations_go_to_the_approver_of_the_level_and_the_department(level: int, approver: str, channel: str) -> None:
    planned = for_complaint_escalated(escalated(level, approver), DIRECTORY)
    assert routes(planned) == {(f"role:{approver}", "inbox"), (f"role:{approver}", channel),
                               ("department:property", "inbox")}
    assert all(not p.urgent or p.audience == "staff" for p in planned)


def test_owner_channel_preference_then_event_then_sms_then_email() -> None:
    full = OwnerContact("C1", phone="139", email="a@b.cn", wechat_openid="wx1")
    assert owner_channel(full, Preference("wechat"), "email") == ("wechat", "wx1")
    assert owner_channel(full, None, "email") == ("email", "a@b.cn")
    assert owner_channel(full, None, "phone") == ("sms", "139")  # a phone call is not a message: sms
    assert owner_channel(full, None, None) == ("sms", "139")
    no_phone = OwnerContact("C1", email="a@b.cn")
    assert owner_channel(no_phone, Preference("sms"), "sms") == ("email", "a@b.cn")  # the preference cannot reach
    assert owner_channel(OwnerContact("C1", wechat_openid="wx1"), None, None) == ("wechat", "wx1")
    assert owner_channel(OwnerContact("C1"), Preference("sms"), "sms") is None


def survey(**kw) -> SurveyDue:
    data = {**ENVELOPE, "survey_id": "s1", "kind": "repair_return_visit", "case_id": "K1",
            "customer": {"customer_id": "C1", "name": "李先生", "phone": "13900000001", "email": "li@example.com"},
            "questionnaire_id": "q", "due_at": NOW, "expires_at": NOW + timedelta(days=7),
            "preferred_channel": "email"}
    data.update(kw)
    return SurveyDue.model_validate(data)


def test_survey_due_goes_to_the_owner_on_the_preferred_channel_non_urgent() -> None:
    (p,) = for_survey_due(survey(), None)
    assert (p.recipient, p.channel, p.address) == ("customer:C1", "email", "li@example.com")
    assert p.audience == "owner" and not p.urgent and p.template == "survey_due.repair_return_visit"
    assert p.fields["owner_name"] == "李先生"
    (p,) = for_survey_due(survey(), Preference("sms", "en"))
    assert (p.channel, p.locale) == ("sms", "en")


def test_a_survey_with_the_owners_link_uses_the_template_that_carries_it() -> None:
    from kefu_notifications.domain.templates import default_templates

    (p,) = for_survey_due(survey(answer_url="https://kefu.example.com/s/tok123", preferred_channel="sms"), None)
    assert p.template == "survey_due.repair_return_visit.link"
    templates = default_templates()
    for kind in ("repair_return_visit", "complaint_return_visit", "periodic_satisfaction", "event_feedback"):
        fields = {"owner_name": "李先生", "owner_name_en": "Mr Li", "case_id": "K1", "questionnaire_id": "q",
                  "expires_at": "12-08", "answer_url": "https://kefu.example.com/s/tok123"}
        for locale in ("zh", "en"):
            text = templates.render(f"survey_due.{kind}.link", locale, fields).body
            assert "https://kefu.example.com/s/tok123" in text


def test_an_owner_who_cannot_be_reached_gets_nothing() -> None:
    assert for_survey_due(survey(customer={"customer_id": "C1", "name": "无联系方式"}), None) == []
    assert for_survey_due(survey(customer={"phone": "13900000001"}), None) == []  # no customer id


def test_club_messages_go_to_the_owner_with_the_contact_in_the_event() -> None:
    joined = MemberJoined(**ENVELOPE, customer_id="C2", member_id="M2", tier="silver", source="handover",
                          joined_at=NOW, contact={"name": "王", "wechat_openid": "wx2"})
    (p,) = for_member_joined(joined, None)
    assert (p.recipient, p.channel, p.address, p.template) == ("customer:C2", "wechat", "wx2", "member_joined.owner")


def test_a_welcome_with_the_club_link_uses_the_template_that_carries_it() -> None:
    from kefu_notifications.domain.templates import default_templates, message_fields

    url = "https://club.example.cn/o/M2.1767225600.sig"
    joined = MemberJoined(**ENVELOPE, customer_id="C2", member_id="M2", tier="silver", source="handover",
                          joined_at=NOW, contact={"name": "王", "phone": "13900000002"}, club_url=url)
    (p,) = for_member_joined(joined, None)
    assert p.template == "member_joined.owner_link"
    fields = {**message_fields(joined, NOW.tzinfo), **p.fields}
    assert url in default_templates().render(p.template, "zh", fields).body
    assert f"{url}?lang=en" in default_templates().render(p.template, "en", fields).body


@pytest.mark.parametrize(("status", "template"), [("confirmed", "community_event.confirmed"),
                                                  ("waitlisted", "community_event.waitlisted"),
                                                  ("promoted", "community_event.promoted"),
                                                  ("cancelled", "community_event.cancelled"),
                                                  ("checked_in", None)])
def test_signup_changes_tell_the_owner_except_a_check_in(status: str, template: str | None) -> None:
    event = CommunityEventSignupChanged(**ENVELOPE, activity_id="a1", title="亲子运动会", starts_at=NOW,
                                        customer_id="C3", member_id="M3", status=status,
                                        contact={"phone": "13900000003"})
    planned = for_signup_changed(event, None)
    assert [p.template for p in planned] == ([template] if template else [])


def test_every_template_the_decisions_name_exists() -> None:
    from kefu_notifications.domain.templates import default_templates

    names = set(default_templates().templates)
    assert {"case_assigned.department", "case_assigned.assignee", "complaint_escalated.approver",
            "complaint_escalated.department", "member_joined.owner", "member_joined.owner_link"} <= names
    assert {f"survey_due.{k}" for k in ("repair_return_visit", "complaint_return_visit", "periodic_satisfaction",
                                        "event_feedback")} <= names


@pytest.mark.parametrize(("data", "message"), [
    ({"teams": {}}, "unknown sections"),
    ({"roles": {"x": {"webhook": "ftp://x"}}}, "http"),
    ({"roles": {"x": {"email": "nope"}}}, "email"),
    ({"departments": {"x": {"phone": "1"}}}, "unknown keys"),
])
def test_bad_directories_are_refused(data: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_directory(data)


def test_the_shipped_directory_knows_both_approver_roles() -> None:
    d = default_directory()
    assert d.contact("role", "cs_manager").name == "客服经理"
    assert d.contact("role", "cs_general_manager").name == "客户服务中心总经理"
