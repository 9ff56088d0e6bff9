import pydantic
import pytest
from kefu_contracts import CallReceived, Money, Topics, derived_event_id

VALID = {
    "event_id": "call-1",
    "schema_version": 1,
    "occurred_at": "2026-11-01T09:30:00+08:00",
    "channel": "hotline",
    "caller": {"phone": "13812345678"},
    "body": "漏水",
}


def test_valid_call_parses_and_keys_by_caller() -> None:
    call = CallReceived.model_validate(VALID)
    assert call.kafka_key() == "13812345678"
    assert CallReceived.model_validate({**VALID, "caller": {"customer_id": "C1", "phone": "13800000000"}}).kafka_key() == "C1"


@pytest.mark.parametrize(
    "change",
    [
        {"channel": "fax"},
        {"caller": {"name": "张三"}},
        {"body": ""},
        {"body": "x" * 10001},
        {"subject": "s" * 201},
        {"occurred_at": "2026-11-01T09:30:00"},  # no offset
        {"schema_version": 2},
        {"event_id": ""},
        {"kind": "question"},
        {"property": {"building": "3幢"}},  # project is required inside property
    ],
)
def test_contract_violations_are_refused(change: dict) -> None:
    with pytest.raises(pydantic.ValidationError):
        CallReceived.model_validate({**VALID, **change})


def test_unknown_fields_are_tolerated_for_additive_evolution() -> None:
    assert CallReceived.model_validate({**VALID, "new_optional_field": 1}).body == "漏水"


def test_derived_ids_are_deterministic_and_distinct() -> None:
    assert derived_event_id("case", "call-1") == derived_event_id("case", "call-1")
    assert derived_event_id("case", "call-1") != derived_event_id("case", "call-2")
    assert derived_event_id("case", "call-1") != derived_event_id("case.opened", "call-1")
    assert len(derived_event_id("x" * 60, "call-1")) <= 128


def test_money_is_a_decimal_string() -> None:
    assert str(Money(amount="1200.50").as_decimal()) == "1200.50"
    for bad in ("12,00", "-1", "1.234", "abc"):
        with pytest.raises(pydantic.ValidationError):
            Money(amount=bad)


def test_topics_and_their_dead_letter_topics() -> None:
    names = dict(Topics("").all_physical())
    assert names["call.received"] >= 6
    assert "call.received.dlq" in names
    assert Topics("ns1")("case.opened") == "ns1.case.opened"
    with pytest.raises(KeyError):
        Topics("")("no.such.topic")
