"""An open problem's recent decisions are stored as objects (no array inside an array) and read in both shapes."""

from __future__ import annotations

from datetime import datetime, timezone

from kefu_intake.domain.records import OpenProblem

AT = datetime(2026, 12, 2, 8, 0, tzinfo=timezone.utc)


def _doc(recent: list) -> dict:
    return {"_id": "p1", "case_id": "case-2", "open": True, "opened_at": AT, "last_contact_at": AT,
            "closed_at": None, "recent": recent, "rev": 3}


def test_recent_decisions_are_stored_as_objects() -> None:
    problem = OpenProblem(id="p1", case_id="case-2", opened_at=AT, last_contact_at=AT,
                          recent=[("call-1", "case-1"), ("call-2", "case-2")])
    stored = problem.to_doc()["recent"]
    assert stored == [{"contact": "call-1", "case": "case-1"}, {"contact": "call-2", "case": "case-2"}]
    assert not any(isinstance(entry, (list, tuple)) for entry in stored)
    assert OpenProblem.model_validate(problem.to_doc()) == problem


def test_documents_written_with_pairs_still_read() -> None:
    old = OpenProblem.model_validate(_doc([["call-1", "case-1"], ["call-2", "case-2"]]))
    new = OpenProblem.model_validate(_doc([{"contact": "call-1", "case": "case-1"},
                                           {"contact": "call-2", "case": "case-2"}]))
    assert old.recent == new.recent == [("call-1", "case-1"), ("call-2", "case-2")]
    assert dict(old.recent)["call-2"] == "case-2"
