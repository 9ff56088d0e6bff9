from datetime import datetime, timedelta, timezone

from kefu_surveys.domain.cadence import HALF_YEAR, next_survey_due

NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)


def test_a_project_never_surveyed_is_due_now() -> None:
    assert next_survey_due([], NOW) == {"last_started_at": None, "next_due_by": NOW, "overdue": True}


def test_the_next_campaign_is_due_half_a_year_after_the_last() -> None:
    recent = NOW - timedelta(days=30)
    out = next_survey_due([NOW - timedelta(days=400), recent], NOW)
    assert out["last_started_at"] == recent and out["next_due_by"] == recent + HALF_YEAR
    assert out["overdue"] is False
    assert next_survey_due([NOW - timedelta(days=200)], NOW)["overdue"] is True
