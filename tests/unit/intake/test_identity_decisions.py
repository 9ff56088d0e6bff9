"""The decider's identity rules over in-memory owners: which customer a call goes to, what it creates and links.

The strongest known key decides (customer id, then phone, then email); keys not known yet are linked to that
customer; a known key is never re-pointed; a caller with no known key is a new customer, its id given (customer
id) or derived from its strongest key, so two instances deciding on the same caller agree.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from kefu_contracts import CallReceived, derived_event_id
from kefu_intake.domain.decisions import IntakeState, decide, prepare, problem_keys
from kefu_intake.domain.identity import identify
from kefu_intake.domain.problems import problem_key

T = datetime(2026, 11, 1, 10, tzinfo=timezone.utc)
PHONE, EMAIL, CID = "phone:+8613812345678", "email:zs@example.com", "cid:C000777"


def call(n: int, **caller: str) -> CallReceived:
    return CallReceived.model_validate({
        "event_id": f"call-{n}", "occurred_at": (T + timedelta(minutes=n)).isoformat(), "channel": "hotline",
        "caller": {"name": "张三", **caller}, "body": "卫生间天花板漏水，麻烦派人来看看",
    })


def run(calls: list[CallReceived], owners: dict[str, str] | None = None):
    state = IntakeState(owners=dict(owners or {}))
    return decide(prepare(calls), state, register={}, window=timedelta(days=30), now=T)


def customers_of(d) -> list[str]:
    return [o.contact.customer_id for o in d.outcomes]


def derived(key: str) -> str:
    return derived_event_id("cust", key)


def test_a_new_phone_with_a_known_email_joins_the_emails_customer() -> None:
    d = run([call(1, phone="138 1234 5678", email="ZS@example.com")], {EMAIL: "cust-e"})
    assert customers_of(d) == ["cust-e"] and d.customers == []
    assert d.keys == {PHONE: "cust-e"}


def test_a_new_customer_id_with_a_known_phone_joins_the_phones_customer() -> None:
    d = run([call(1, customer_id="C000777", phone="+86 138-1234-5678")], {PHONE: "cust-p"})
    assert customers_of(d) == ["cust-p"] and d.customers == []
    assert d.keys == {CID: "cust-p"}, "the given id is linked as a key, not made a second customer"


def test_keys_known_to_two_customers_go_to_the_strongest_and_nothing_is_re_pointed() -> None:
    d = run([call(1, phone="13812345678", email="zs@example.com")], {PHONE: "cust-p", EMAIL: "cust-e"})
    assert customers_of(d) == ["cust-p"]
    assert d.keys == {} and d.customers == []


def test_phone_alone_then_email_alone_then_both_in_one_batch_is_two_customers() -> None:
    """No key in common until the third call: two customers, as one after the other (no merging)."""
    d = run([call(1, phone="13812345678"), call(2, email="zs@example.com"),
             call(3, phone="+86 138-1234-5678", email="ZS@example.com")])
    assert customers_of(d) == [derived(PHONE), derived(EMAIL), derived(PHONE)]
    assert [c.id for c in d.customers] == [derived(PHONE), derived(EMAIL)]
    assert d.keys == {PHONE: derived(PHONE), EMAIL: derived(EMAIL)}


def test_the_same_caller_in_every_format_and_combination_in_one_batch_is_one_customer() -> None:
    d = run([call(1, customer_id="C000777", phone="13812345678"), call(2, phone="+86 138-1234-5678"),
             call(3, phone="0086 138 1234 5678", email="zs@example.com"), call(4, email="ZS@EXAMPLE.COM")])
    assert set(customers_of(d)) == {"C000777"} and [c.id for c in d.customers] == ["C000777"]
    assert d.keys == {CID: "C000777", PHONE: "C000777", EMAIL: "C000777"}


def test_two_instances_deciding_the_same_new_caller_agree_on_its_id() -> None:
    one = run([call(1, phone="+86 138-1234-5678", email="zs@example.com")])
    other = run([call(2, phone="13812345678", email="ZS@example.com")])
    assert customers_of(one) == customers_of(other) == [derived(PHONE)]
    assert one.keys == other.keys


def test_a_batch_retried_after_another_instance_linked_a_key_follows_that_customer() -> None:
    """First attempt: a new customer C000777 with its phone. Meanwhile another instance linked the phone to its
    customer (``ConcurrentChange``); the retry, on fresh owners, links the customer id there and creates nothing."""
    calls = [call(1, customer_id="C000777", phone="13812345678")]
    first = run(calls)
    assert customers_of(first) == ["C000777"] and first.keys == {CID: "C000777", PHONE: "C000777"}
    retried = run(calls, {PHONE: derived(PHONE)})
    assert customers_of(retried) == [derived(PHONE)] and retried.customers == []
    assert retried.keys == {CID: derived(PHONE)}


def test_problem_keys_are_read_for_the_customer_the_decider_will_choose() -> None:
    calls = [call(1, phone="13812345678"), call(2, customer_id="C000777", phone="138 1234 5678"),
             call(3, email="zs@example.com")]
    owners = {EMAIL: "cust-e"}
    d = run(calls, owners)
    expected = {problem_key(o.contact.customer_id, None, o.contact.classification.kind,
                            o.contact.classification.category) for o in d.outcomes}
    assert problem_keys(prepare(calls), IntakeState(owners=owners)) == expected
    assert customers_of(d) == [derived(PHONE), derived(PHONE), "cust-e"]
    assert identify(calls[1].caller).keys == (CID, PHONE)
