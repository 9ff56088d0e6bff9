"""The case repository's edge, without a server: a change of a ``Case`` as the aggregate store's change of a document."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from kefu_kit.auth import Principal
from kefu_routing import commands
from kefu_routing.adapters.store import _OnDoc
from kefu_routing.domain.case import Case
from kefu_routing.opening import new_case

from support.routing_memory import T0, opened, routing

ENG = Principal("eng-01", "department_staff", "engineering")


def stored_doc() -> dict:
    case, _ = asyncio.run(new_case(opened(), routing(), T0))
    return {**case.to_doc(), "rev": 4}


def test_a_change_goes_to_the_store_as_the_next_revisions_document_and_comes_back_without_a_second_read() -> None:
    doc = stored_doc()
    change = _OnDoc(commands.add_note("x", ENG, T0 + timedelta(hours=1)))
    assert change.copies_input, "the store hands it the document itself: validating copies it"
    out = change(doc)
    assert out.state["rev"] == 5 and out.state["timeline"][-1]["text"] == "x" and out.events == []
    assert len(doc["timeline"]) == 2, "the document read is not changed"
    case = change.result({**out.state})
    assert case is change.made and case.rev == 5
    newer = {**out.state, "rev": 6}  # another writer's newer revision came back (``mutate_many`` caught up)
    assert change.result(newer) is not change.made and change.result(newer).rev == 6


def test_a_change_with_nothing_to_do_gives_back_the_case_it_read() -> None:
    doc = stored_doc()
    change = _OnDoc(lambda case: None)
    assert change(doc) is None
    case = change.result(doc)
    assert isinstance(case, Case) and case.rev == 4 and case.to_doc() == doc
