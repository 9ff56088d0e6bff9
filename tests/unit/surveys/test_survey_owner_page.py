"""The questionnaire page: every question of the questionnaire as a control, in Chinese or English; refusals."""

from datetime import datetime, timezone

from kefu_surveys import answers
from kefu_surveys.domain.answering import AnswerLink
from kefu_surveys.domain.questionnaires import default_questionnaires
from kefu_surveys.domain.surveys import Survey
from kefu_surveys.owner_page import questionnaire_page, refusal_page

EXPIRES = datetime(2026, 12, 3, 1, 30, tzinfo=timezone.utc)
LINK = AnswerLink(id="a" * 64, survey_id="sv-1", expires_at=EXPIRES)
SURVEY = Survey(id="sv-1", case_id="case-<1>", kind="repair_return_visit", questionnaire_id="return-visit-v1",
                status="open", due_at=datetime(2026, 12, 1, tzinfo=timezone.utc), expires_at=EXPIRES,
                correlation_id="c-1", cause_event_id="ev-1")


def test_the_return_visit_page_asks_stars_solved_and_a_comment_in_chinese() -> None:
    q = default_questionnaires()["return-visit-v1"]
    text = questionnaire_page(LINK, SURVEY, q, "zh").body.decode()
    assert 'data-fields="csat,solved,comment"' in text
    assert all(f'id="csat-{v}" value="{v}" required' in text for v in range(1, 6))
    assert 'name="solved" id="solved-false" value="false" required' in text and "否，未解决" in text
    assert '<textarea name="comment"' in text and "（选填）" in text
    assert "您对本次处理的满意程度如何" in text and "2026-12-03 09:30" in text  # Beijing time
    assert "case-&lt;1&gt;" in text and "case-<1>" not in text


def test_english_when_asked_and_every_questionnaire_renders() -> None:
    q = default_questionnaires()["return-visit-v1"]
    text = questionnaire_page(LINK, SURVEY, q, "en").body.decode()
    assert '<html lang="en">' in text and "Has the problem you reported been solved?" in text
    assert "No, not solved" in text and "您" not in text.split("<script")[0]
    for other in default_questionnaires().values():
        for locale in ("zh", "en"):
            page = questionnaire_page(LINK, SURVEY, other, locale).body.decode()
            assert all(f'data-field="{x.field}"' in page for x in other.questions)


def test_used_expired_unknown_and_answered_links_get_their_own_page() -> None:
    cases = [(answers.Gone("this link has been used"), 410, "此链接已使用"),
             (answers.Gone("this link has expired"), 410, "此链接已过期"),
             (answers.NotFound("no such link"), 404, "找不到此问卷"),
             (answers.Conflict("answered"), 409, "此问卷已有答复")]
    for exc, status, words in cases:
        out = refusal_page(exc, "zh")
        assert out.status_code == status and words in out.body.decode() and "<form" not in out.body.decode()
    assert "This link has expired" in refusal_page(answers.Gone("this link has expired"), "en").body.decode()
