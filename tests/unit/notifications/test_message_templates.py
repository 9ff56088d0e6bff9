from zoneinfo import ZoneInfo

import pytest
from kefu_contracts import SurveyDue
from kefu_notifications.domain.templates import TemplateError, default_templates, message_fields, parse_templates

SH = ZoneInfo("Asia/Shanghai")


def survey(**overrides) -> SurveyDue:
    data = {
        "event_id": "sd-1", "occurred_at": "2026-03-10T10:00:00+08:00", "correlation_id": "c", "causation_id": "c",
        "survey_id": "sv-1", "kind": "repair_return_visit", "customer": {"customer_id": "C1", "phone": "13900000001"},
        "case_id": "case-9", "questionnaire_id": "q-repair", "due_at": "2026-03-10T10:00:00+08:00",
        "expires_at": "2026-03-17T10:00:00+08:00", "preferred_channel": "sms",
    }
    data.update(overrides)
    return SurveyDue.model_validate(data)


def test_renders_chinese_by_default_with_the_event_fields_in_beijing_time() -> None:
    fields = {**message_fields(survey(), SH), "owner_name": "张女士", "owner_name_en": "Ms Zhang"}
    text = default_templates().render("survey_due.repair_return_visit", "zh", fields)
    assert text.locale == "zh"
    assert "尊敬的张女士" in text.body and "case-9" in text.body and "q-repair" in text.body
    assert "2026-03-17 10:00" in text.body


def test_renders_english_when_asked() -> None:
    fields = {**message_fields(survey(), SH), "owner_name": "业主", "owner_name_en": "owner"}
    text = default_templates().render("survey_due.repair_return_visit", "en", fields)
    assert text.locale == "en" and text.body.startswith("Dear owner,")


def test_a_missing_field_names_the_template_and_the_field() -> None:
    fields = {**message_fields(survey(case_id=None), SH), "owner_name": "业主", "owner_name_en": "owner"}
    with pytest.raises(TemplateError) as err:
        default_templates().render("survey_due.repair_return_visit", "zh", fields)
    assert err.value.template == "survey_due.repair_return_visit"
    assert err.value.field == "case_id"
    assert "survey_due.repair_return_visit" in str(err.value) and "case_id" in str(err.value)


def test_an_unknown_template_is_an_error() -> None:
    with pytest.raises(TemplateError, match="no such template"):
        default_templates().render("nope", "zh", {})


def test_a_missing_translation_falls_back_to_chinese() -> None:
    book = parse_templates({"template": [{"id": "t", "zh": {"body": "你好 ${name}"}}]})
    assert book.render("t", "en", {"name": "王"}).body == "你好 王"


def test_a_template_that_renders_empty_is_an_error() -> None:
    book = parse_templates({"template": [{"id": "t", "zh": {"body": "${blank}"}}]})
    with pytest.raises(TemplateError, match="empty"):
        book.render("t", "zh", {"blank": "  "})


def test_fields_are_flattened_and_absent_ones_left_out() -> None:
    fields = message_fields(survey(), SH)
    assert fields["customer_phone"] == "13900000001" and fields["kind"] == "repair_return_visit"
    assert "customer_name" not in fields and "customer_email" not in fields


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"template": [{"zh": {"body": "x"}}]}, "needs an id"),
        ({"template": [{"id": "t", "en": {"body": "x"}}]}, "Chinese"),
        ({"template": [{"id": "t", "zh": {"body": ""}}]}, "needs a body"),
        ({"template": [{"id": "t", "zh": {"body": "${"}}]}, "malformed"),
        ({"template": [{"id": "t", "zh": {"body": "a"}}, {"id": "t", "zh": {"body": "b"}}]}, "twice"),
        ({"template": [{"id": "t", "zh": {"body": "a"}, "fr": {"body": "b"}}]}, "unknown keys"),
    ],
)
def test_bad_template_files_are_refused(data: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_templates(data)


def test_every_shipped_template_has_both_languages() -> None:
    book = default_templates()
    assert book.templates and all(set(texts) == {"zh", "en"} for texts in book.templates.values())
