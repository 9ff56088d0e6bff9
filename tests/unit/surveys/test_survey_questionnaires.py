import pytest
from kefu_surveys.domain.questionnaires import InvalidAnswer, default_questionnaires, parse_questionnaires


def test_the_shipped_questionnaires() -> None:
    qs = default_questionnaires()
    assert {"return-visit-v1", "satisfaction-v1", "event-feedback-v1"} <= set(qs)
    visit = qs["return-visit-v1"]
    assert [q.field for q in visit.questions] == ["csat", "solved", "comment"]
    assert [q.field for q in qs["satisfaction-v1"].questions if q.required] == ["nps", "csat"]


def test_a_return_visit_answer_needs_csat_and_solved() -> None:
    visit = default_questionnaires()["return-visit-v1"]
    assert visit.check({"csat": 5, "solved": True}) == {"csat": 5, "solved": True, "comment": None}
    with pytest.raises(InvalidAnswer, match="needs solved"):
        visit.check({"csat": 5})
    with pytest.raises(InvalidAnswer, match="does not ask for nps"):
        visit.check({"csat": 5, "solved": True, "nps": 9})


@pytest.mark.parametrize("answer", [{"nps": 11, "csat": 3}, {"nps": -1, "csat": 3}, {"nps": 5, "csat": 0},
                                    {"nps": 5, "csat": 6}, {"nps": True, "csat": 3}, {"nps": 5.5, "csat": 3}])
def test_scores_out_of_range_are_refused(answer) -> None:
    with pytest.raises(InvalidAnswer, match="whole number"):
        default_questionnaires()["satisfaction-v1"].check(answer)


def test_a_questionnaire_must_ask_known_fields_once() -> None:
    def one(*fields):
        return {"questionnaire": [{"id": "x-v1", "kinds": ["event_feedback"],
                                   "question": [{"field": f, "text": "?"} for f in fields]}]}
    assert parse_questionnaires(one("csat"))["x-v1"].kinds == ("event_feedback",)
    with pytest.raises(ValueError, match="each at most once"):
        parse_questionnaires(one("csat", "csat"))
    with pytest.raises(ValueError, match="each at most once"):
        parse_questionnaires(one("mood"))
    with pytest.raises(ValueError, match="kinds"):
        parse_questionnaires({"questionnaire": [{"id": "y", "kinds": ["gossip"], "question": []}]})
