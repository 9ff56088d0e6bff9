import json

import pydantic
from aiokafka import errors as kafka_errors
from kefu_contracts import CallReceived
from kefu_kit.errors import BadMessage, is_bad_message, is_transient
from pymongo import errors as mongo_errors


def test_store_and_broker_outages_are_transient() -> None:
    assert is_transient(mongo_errors.AutoReconnect("down"))
    assert is_transient(mongo_errors.ServerSelectionTimeoutError("no server"))
    assert is_transient(kafka_errors.KafkaConnectionError("refused"))
    assert is_transient(kafka_errors.KafkaTimeoutError())
    from kefu_kit.aggregates import ConcurrentChange

    assert is_transient(ConcurrentChange("case-1: 20 writers in a row changed it first"))


def test_bad_messages_are_not_transient() -> None:
    try:
        CallReceived.model_validate({"channel": "fax"})
    except pydantic.ValidationError as exc:
        assert is_bad_message(exc) and not is_transient(exc)
    try:
        json.loads("{nope")
    except json.JSONDecodeError as exc:
        assert is_bad_message(exc) and not is_transient(exc)
    assert is_bad_message(BadMessage("x"))


def test_a_bug_is_neither() -> None:
    exc = KeyError("x")
    assert not is_transient(exc) and not is_bad_message(exc)
    assert not is_transient(mongo_errors.DuplicateKeyError("dup"))
