"""The intake decider over in-memory state: customers, cases and follow-ups for a batch of calls."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from kefu_contracts import CallReceived, derived_event_id
from kefu_intake.domain.decisions import IntakeState, decide, prepare, problem_keys
from kefu_intake.domain.identity import identify
from kefu_intake.domain.problems import problem_key
from kefu_intake.domain.records import OpenProblem

T = datetime(2026, 11, 1, 10, tzinfo=timezone.utc)
WINDOW = timedelta(days=30)
PROP = {"project": "滨江花园", "building": "3幢", "unit": "1202"}
LEAK = "卫生间天花板漏水，麻烦派人来看看"


def call(n: int, phone: str = "13912345678", at: datetime = T, body: str = LEAK, **extra) -> CallReceived:
    return CallReceived.model_validate({
        "event_id": f"call-{n}", "occurred_at": at.isoformat(), "channel": "hotline",
        "caller": {"name": "张三", "phone": phone}, "property": PROP, "body": body, **extra,
    })


def run(calls: list[CallReceived], state: IntakeState | None = None, register=None):
    return decide(prepare(calls), state or IntakeState(), register=register or {}, window=WINDOW, now=T)


def case_of(n: int) -> str:
    return derived_event_id("case", f"call-{n}")


def the_problem(decisions) -> OpenProblem:
    (problem,) = decisions.new_problems or [p for p, _ in decisions.changed_problems]
    return problem


def test_a_new_caller_becomes_a_customer_with_a_new_case() -> None:
    d = run([call(1)])
    (outcome,) = d.outcomes
    customer_id = identify(call(1).caller).new_customer_id()
    assert outcome.contact.customer_id == customer_id and not outcome.repeat
    assert [c.id for c in d.customers] == [customer_id]
    assert d.keys == {"phone:+8613912345678": customer_id}
    assert d.properties[0]["_id"] == f"{customer_id}|滨江花园|3幢|1202"
    assert outcome.contact.case_id == case_of(1) and outcome.contact.follow_up is False
    assert outcome.contact.classification.category == "leak"
    assert the_problem(d).case_id == case_of(1) and d.contacts == [outcome.contact]


def test_a_known_caller_keeps_their_customer_and_links_a_new_email() -> None:
    state = IntakeState(owners={"phone:+8613912345678": "cust-known"})
    d = run([CallReceived.model_validate({**call(1).model_dump(mode="json"),
                                           "caller": {"phone": "139 1234 5678", "email": "ZS@example.com"}})], state)
    assert d.outcomes[0].contact.customer_id == "cust-known"
    assert d.customers == [], "no new customer for a known caller"
    assert d.keys == {"email:zs@example.com": "cust-known"}


def test_a_second_contact_within_the_window_follows_up_the_open_case() -> None:
    key = problem_key("cust-known", PROP, "repair", "leak")
    state = IntakeState(owners={"phone:+8613912345678": "cust-known"}, problems={key: OpenProblem(
        id=key, case_id="case-old", opened_at=T - timedelta(days=5), last_contact_at=T - timedelta(days=5), rev=3)})
    d = run([call(2)], state)
    contact = d.outcomes[0].contact
    assert contact.follow_up is True and contact.case_id == "case-old"
    ((problem, rev),) = d.changed_problems
    assert rev == 3 and problem.case_id == "case-old" and problem.last_contact_at == T
    assert ("call-2", "case-old") in problem.recent


def test_after_the_window_or_after_the_case_closed_the_same_problem_is_a_new_case() -> None:
    key = problem_key("cust-known", PROP, "repair", "leak")
    owners = {"phone:+8613912345678": "cust-known"}
    old = OpenProblem(id=key, case_id="case-old", opened_at=T - timedelta(days=31),
                      last_contact_at=T - timedelta(days=31), rev=1)
    closed = OpenProblem(id=key, case_id="case-old", open=False, opened_at=T - timedelta(days=2),
                         last_contact_at=T - timedelta(days=2), closed_at=T - timedelta(days=1), rev=2)
    for known in (old, closed):
        d = run([call(3)], IntakeState(owners=owners, problems={key: known}))
        contact = d.outcomes[0].contact
        assert contact.follow_up is False and contact.case_id == case_of(3)
        ((problem, rev),) = d.changed_problems
        assert rev == known.rev and problem.case_id == case_of(3) and problem.open and problem.closed_at is None


def test_two_calls_of_one_caller_in_one_batch_behave_as_one_after_the_other() -> None:
    first, again = call(1), call(2, at=T + timedelta(hours=1), body="漏水还没人来修，我要投诉")
    d = run([first, again])
    one, two = (o.contact for o in d.outcomes)
    assert one.follow_up is False and one.case_id == case_of(1)
    assert two.follow_up is True and two.case_id == case_of(1), "the second follows up the first"
    assert one.customer_id == two.customer_id and len(d.customers) == 1
    problem = the_problem(d)
    assert problem.last_contact_at == again.occurred_at and problem.recent == [("call-1", case_of(1)),
                                                                               ("call-2", case_of(1))]
    # the same as deciding them in two batches, the second on the state the first left
    first_alone = run([first])
    state = IntakeState(owners=first_alone.keys, problems={p.id: p for p in first_alone.new_problems})
    assert run([again], state).outcomes[0].contact.model_dump(exclude={"recorded_at"}) == two.model_dump(
        exclude={"recorded_at"})


def test_a_redelivered_call_takes_its_recorded_decision_and_writes_nothing() -> None:
    recorded = run([call(1)]).contacts[0].model_copy(update={"case_id": "case-decided-then"})
    d = run([call(1)], IntakeState(recorded={"call-1": recorded}))
    assert d.outcomes[0].contact == recorded and d.outcomes[0].repeat
    assert not (d.customers or d.keys or d.properties or d.new_problems or d.changed_problems or d.contacts)
    assert problem_keys(prepare([call(1)]), IntakeState(recorded={"call-1": recorded})) == set()


def test_the_same_call_twice_in_one_batch_is_decided_once() -> None:
    d = run([call(1), call(1)])
    assert d.outcomes[0].contact == d.outcomes[1].contact and d.outcomes[1].repeat
    assert len(d.contacts) == 1


def test_a_batch_retried_after_its_problem_writes_decides_the_same() -> None:
    """Killed after writing problems and before recording contacts: the state already holds the batch's effects."""
    first, again = call(1), call(2, at=T + timedelta(hours=1))
    late = call(3, at=T + timedelta(days=40))  # after the window: a new case, written over the first
    d1 = run([first, again, late])
    state = IntakeState(owners=d1.keys, problems={p.id: p for p in d1.new_problems})
    d2 = run([first, again, late], state)
    assert [(o.contact.case_id, o.contact.follow_up) for o in d2.outcomes] == [
        (o.contact.case_id, o.contact.follow_up) for o in d1.outcomes]
    assert [(o.contact.case_id, o.contact.follow_up) for o in d1.outcomes] == [
        (case_of(1), False), (case_of(1), True), (case_of(3), False)]
    assert d2.changed_problems == [] and d2.new_problems == [], "nothing to write again"


def test_an_unidentifiable_caller_is_rejected_and_the_rest_decided() -> None:
    nobody = CallReceived.model_validate({**call(9).model_dump(mode="json"), "caller": {"phone": "1-2-3"}})
    d = run([nobody, call(1)])
    assert d.outcomes[0].contact is None and "phone" in d.outcomes[0].rejected
    assert d.outcomes[1].contact is not None and len(d.contacts) == 1


def test_the_handover_date_comes_from_the_register() -> None:
    handed = datetime(2024, 6, 30, tzinfo=timezone.utc)
    d = run([call(1)], register={"滨江花园||": handed})
    assert d.outcomes[0].contact.handover_date == handed


def test_a_decided_contact_equals_itself_read_back_from_the_store() -> None:
    """The store keeps UTC milliseconds: the event built on first delivery and the one rebuilt from the stored
    contact on a redelivery must be the same bytes (a test killing intake mid-batch saw them differ)."""
    import bson
    from kefu_intake.contacts import event_for
    from kefu_intake.domain.records import ContactRecord

    at = datetime(2026, 11, 2, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=8)))
    contact = ContactRecord.model_validate({
        "_id": "call-1", "customer_id": "c1", "channel": "hotline", "received_at": at, "recorded_at": at,
        "body": "漏水", "classification": {"kind": "repair", "by": "rules"}, "case_id": "case-1",
        "correlation_id": "call-1"})
    options = bson.CodecOptions(tz_aware=True)
    stored = ContactRecord.model_validate(bson.decode(bson.encode(contact.to_doc()), codec_options=options))
    assert stored == contact
    assert event_for(stored).to_json_bytes() == event_for(contact).to_json_bytes()
