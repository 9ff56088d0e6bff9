"""Questionnaires as data (``questionnaires.toml``), and checking an answer against one.

Each question maps to one field of ``survey.answered`` (csat 1-5, nps 0-10, solved,
comment), so an answer is comparable across questionnaire versions: results are
counted over the fields, not over the wording.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

FIELDS = ("csat", "nps", "solved", "comment")
KINDS = ("repair_return_visit", "complaint_return_visit", "periodic_satisfaction", "event_feedback")


class InvalidAnswer(ValueError):
    """The answer does not fit the questionnaire (missing required field, value out of range)."""


@dataclass(frozen=True)
class Question:
    field: str
    text: str
    required: bool


@dataclass(frozen=True)
class Questionnaire:
    id: str
    title: str
    kinds: tuple[str, ...]
    questions: tuple[Question, ...]

    def check(self, answer: dict[str, Any]) -> dict[str, Any]:
        """The answer's fields this questionnaire asks for; InvalidAnswer when it does not fit."""
        asked = {q.field for q in self.questions}
        extra = sorted(k for k, v in answer.items() if k in FIELDS and v is not None and k not in asked)
        if extra:
            raise InvalidAnswer(f"{self.id} does not ask for {', '.join(extra)}")
        missing = [q.field for q in self.questions if q.required and answer.get(q.field) is None]
        if missing:
            raise InvalidAnswer(f"{self.id} needs {', '.join(missing)}")
        out = {f: answer.get(f) for f in asked}
        _in_range(out.get("csat"), 1, 5, "csat")
        _in_range(out.get("nps"), 0, 10, "nps")
        if out.get("solved") is not None and not isinstance(out["solved"], bool):
            raise InvalidAnswer("solved is true or false")
        return out

    def public(self) -> dict[str, Any]:
        """What the owner's link shows."""
        return {"id": self.id, "title": self.title,
                "questions": [{"field": q.field, "text": q.text, "required": q.required} for q in self.questions]}


def _in_range(value: Any, low: int, high: int, name: str) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high):
        raise InvalidAnswer(f"{name} must be a whole number from {low} to {high}")


def parse_questionnaires(data: dict[str, Any]) -> dict[str, Questionnaire]:
    out: dict[str, Questionnaire] = {}
    for q in data.get("questionnaire", []):
        qid = q.get("id")
        if not isinstance(qid, str) or not qid or qid in out:
            raise ValueError(f"every questionnaire needs a unique id, got {qid!r}")
        kinds = tuple(q.get("kinds", ()))
        if not kinds or set(kinds) - set(KINDS):
            raise ValueError(f"{qid}: kinds must be some of {KINDS}, got {kinds!r}")
        questions = tuple(Question(x.get("field"), x.get("text", ""), bool(x.get("required", False)))
                          for x in q.get("question", []))
        fields = [x.field for x in questions]
        if not questions or set(fields) - set(FIELDS) or len(fields) != len(set(fields)):
            raise ValueError(f"{qid}: each question asks one of {FIELDS}, each at most once; got {fields}")
        if not any(x.text for x in questions) or any(not x.text for x in questions):
            raise ValueError(f"{qid}: every question needs its text")
        out[qid] = Questionnaire(qid, q.get("title", qid), kinds, questions)
    return out


@lru_cache(maxsize=1)
def default_questionnaires() -> dict[str, Questionnaire]:
    text = resources.files("kefu_surveys.domain").joinpath("questionnaires.toml").read_text(encoding="utf-8")
    return parse_questionnaires(tomllib.loads(text))
