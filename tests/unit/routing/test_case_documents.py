"""A stored case document read into a ``Case`` and written back is the same document.

Revisions record the difference between the document read and the one written
(``kefu_kit.revisions``), so the round trip must be exact: the same keys (no null
added, none dropped), values of the same types, dates unchanged, the same key order,
unknown keys kept. Checked on cases as ``new_case`` makes them and after every
command, stored as the store stores them (BSON: dates come back in bson's UTC zone).
"""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import bson
from bson.codec_options import CodecOptions
from kefu_kit.auth import Principal
from kefu_kit.revisions import diff, same
from kefu_routing import commands
from kefu_routing.domain.case import Case
from kefu_routing.escalation import raise_level
from kefu_routing.opening import new_case

from support.routing_memory import T0, opened, routing

ENG = Principal("eng-01", "department_staff", "engineering")
SPEC = Principal("spec", "complaint_specialist", None)
MGR = Principal("mgr", "cs_manager", None)
GM = Principal("gm", "cs_general_manager", None)
TZ_AWARE = CodecOptions(tz_aware=True)


def stored(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` as the store gives it back."""
    return bson.decode(bson.encode(doc), codec_options=TZ_AWARE)


def assert_round_trip(doc: dict[str, Any]) -> None:
    again = Case.from_doc(copy.deepcopy(doc)).to_doc()
    assert same(again, doc), diff(doc, again)
    assert list(again) == list(doc), "key order kept"
    assert diff(doc, again) == {}


def step(doc: dict[str, Any], command) -> dict[str, Any]:
    """One command as the store runs it: read the stored document, change the case, write its next revision.

    The document read is handed over as it is (the case repository's changes declare ``copies_input``):
    the case and the document written must share nothing a change alters, so the one read stays as it was.
    """
    before = copy.deepcopy(doc)
    change = command(Case.from_doc(doc))
    change.state.rev = doc["rev"] + 1
    written = change.state.to_doc()
    assert same(doc, before), "the document read is left as it was"
    return stored(written)


async def a_case(event_kind: str = "repair", *vips: str, **over: Any) -> dict[str, Any]:
    case, _ = await new_case(opened(kind=event_kind, **over), routing(*vips), T0 + timedelta(minutes=1))
    return stored({**case.to_doc(), "rev": 1})  # as ``AggregateStore.create`` stores it


async def test_new_cases_round_trip_with_exactly_the_keys_new_case_always_wrote() -> None:
    repair = await a_case("repair")
    assert list(repair) == [
        "_id", "status", "kind", "category", "urgent_flags", "customer_id", "channel", "project", "building", "unit",
        "element", "handover_date", "subject", "body", "warranty", "department", "assignment_rule", "assignee",
        "level", "escalations", "deadlines", "pauses", "overdue", "is_overdue", "opened_at", "responded_at",
        "resolved_at", "closed_at", "correlation_id", "opened_event_id", "contacts", "applied", "approvals",
        "group_id", "work_order", "timeline", "rev"]
    assert list(repair["work_order"]) == ["id", "status", "progress", "cost", "completed_at", "notes"]
    assert list(repair["warranty"]) == ["under_warranty", "expires_on", "reason", "rule"]
    assert [list(e) for e in repair["timeline"]] == [
        ["at", "type", "status", "actor", "contact_id"],
        ["at", "type", "status", "actor", "department", "assignee", "rule"]]
    vip = await a_case("complaint", "cust-1", category="service")  # starts at level 2: escalated while opened
    assert vip["level"] == 2 and [e["reason"] for e in vip["escalations"]] == ["vip"]
    assert list(vip["escalations"][0]) == ["from", "to", "reason", "at", "actor", "cause", "approver_role"]
    unknown = await a_case("repair", handover_date=None, category="electrical", subject="插座")
    assert unknown["warranty"]["under_warranty"] is None
    for doc in (repair, vip, unknown, await a_case("inquiry", category=None)):
        assert_round_trip(doc)


async def test_every_command_writes_a_document_that_round_trips_and_records_only_what_it_changed() -> None:
    r = routing()
    doc = await a_case("repair")
    at = T0 + timedelta(hours=1)
    script = [
        commands.lifecycle("acknowledge", ENG, at, r, "已联系"),
        commands.work_order("start", ENG, at, "上门"),
        commands.work_order("progress", ENG, at, "换防水层"),
        commands.request_approval("cost", ENG, at, amount="800"),
        commands.decide("ap-1", True, SPEC, at, "ok"),
        commands.request_approval("cost", ENG, at, amount="20000"),
        commands.decide("ap-2", False, GM, at, "太贵"),
        commands.work_order("complete", ENG, at, "完成", "800.00"),
        commands.add_note("业主满意", ENG, at),
        commands.lifecycle("close", SPEC, at, r, None),
        commands.lifecycle("reopen", SPEC, at, r, "又漏"),
        commands.lifecycle("wait_on_owner", ENG, at, r, "等业主"),
        commands.lifecycle("resume", ENG, at + timedelta(hours=2), r),
        commands.manual_escalation(2, SPEC, at, r, "媒体关注"),
        commands.request_approval("plan", SPEC, at, plan="上门道歉"),
        commands.decide("ap-3", True, GM, at, None),
        commands.lifecycle("resolve", SPEC, at, r, "道歉并补偿"),
    ]
    for command in script:
        before, doc = doc, step(doc, command)
        assert_round_trip(doc)
        change = diff(before, doc)
        assert "unset" not in change, "a command never drops a key"
    # a note is a note on the timeline, nothing else (and the revision)
    noted = step(doc, commands.add_note("再来电", SPEC, at))
    assert diff(doc, noted) == {"set": {"rev": doc["rev"] + 1}, "push": {"timeline": [
        {"at": at, "type": "note", "text": "再来电", "actor": "spec", "role": "complaint_specialist"}]}}
    assert noted["approvals"][2]["decided_role"] == "cs_general_manager"
    assert noted["work_order"]["cost"] == "800.00" and noted["resolution"] == "道歉并补偿"


def older_case() -> dict[str, Any]:
    """A case as an older routing stored it: no element, is_overdue, reason or missing years; and keys of its own."""
    return stored({
        "_id": "case-old", "status": "resolved", "kind": "complaint", "category": "noise", "urgent_flags": [],
        "customer_id": "cust-9", "channel": "hotline", "project": "P", "building": "B", "unit": "1",
        "legacy_note": {"kept": [1, 2.5, "x"]},  # nobody declares it: it stays, where it was
        "handover_date": None, "subject": None, "body": "楼上噪音", "warranty": None, "department": "property",
        "assignment_rule": "complaint.default", "assignee": "pm-01", "level": 1,
        "deadlines": {"respond_by": T0 + timedelta(hours=2), "resolve_by": T0 + timedelta(days=1), "rule": "c1"},
        "pauses": [], "overdue": [], "opened_at": T0, "responded_at": T0, "resolved_at": T0, "closed_at": None,
        "correlation_id": "call-9", "opened_event_id": "co-9", "contacts": ["call-9"], "applied": ["co-9"],
        "approvals": [{"kind": "plan", "plan": "协调", "required_role": "cs_manager", "id": "ap-1",
                       "status": "pending", "requested_by": "spec", "requested_at": T0, "decided_by": None,
                       "decided_at": None, "reason": None}],
        "group_id": None, "work_order": None,
        "timeline": [{"at": T0, "type": "opened", "status": "opened", "actor": "intake", "contact_id": "call-9"},
                     {"at": T0, "type": "sms_sent", "to": "138", "actor": "system"},  # a kind nobody writes now
                     {"at": T0, "type": "note", "text": "x", "actor": "a", "channel": "wechat"}],  # an extra key
        "rev": 7, "awaiting_approval": True, "resolution": "已协调",  # in the order they were first set
    })


def test_an_older_document_round_trips_unknown_keys_and_entries_included() -> None:
    doc = older_case()
    assert_round_trip(doc)
    case = Case.from_doc(doc)
    assert case.opened_at is doc["opened_at"], "dates are not converted"
    assert case.deadlines.reason == "" and case.element is None and case.escalations == []
    assert "escalations" not in case.to_doc() and "is_overdue" not in case.to_doc()


def test_a_field_an_older_document_lacks_is_written_once_a_change_sets_it_even_in_place() -> None:
    doc = older_case()
    before = copy.deepcopy(doc)
    case = Case.from_doc(doc)
    raise_level(case, 2, "repeat_complaint", routing(), T0 + timedelta(hours=3), "fu-1", "routing")
    written = case.to_doc()
    written["legacy_note"]["kept"].append("written")  # the document written shares nothing with the one read
    assert same(doc, before)
    written["legacy_note"]["kept"].pop()
    assert [e["to"] for e in written["escalations"]] == [2]  # appended to a default: still written
    assert list(written)[-1] == "escalations", "a new key goes after the ones the document had"
    change = diff(doc, written)
    assert set(change) == {"set", "push"} and set(change["set"]) == {"level", "deadlines", "escalations"}
    assert [e["type"] for e in change["push"]["timeline"]] == ["escalated"]
