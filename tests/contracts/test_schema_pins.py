"""The published JSON schema of every topic is pinned: a change to a contract shows up here.

Additive, optional fields are allowed by the contract rules, but even they must be
a deliberate act: regenerate the pins with ``make schemas`` and review the diff.
A breaking change (a field removed, renamed, retyped or newly required) needs
``schema_version: 2`` instead.
"""

import json
import os
from pathlib import Path

import pytest
from kefu_contracts import TOPICS

PINS = Path(__file__).parent / "schemas"


def _schema(topic: str) -> dict:
    return TOPICS[topic].model.model_json_schema(mode="serialization")


@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_published_schema_is_pinned(topic: str) -> None:
    pin = PINS / f"{topic}.json"
    current = _schema(topic)
    if os.environ.get("KEFU_UPDATE_SCHEMAS") == "1":
        pin.write_text(json.dumps(current, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    assert pin.exists(), f"no pinned schema for {topic}: run `make schemas`"
    assert current == json.loads(pin.read_text(encoding="utf-8")), f"contract of {topic} changed: see {pin}"


@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_v1_required_fields_are_still_required(topic: str) -> None:
    """Independent of the pins: the envelope and the fields contracts.md makes required never go optional."""
    required = set(_schema(topic).get("required", []))
    assert {"event_id", "occurred_at"} <= required


def test_call_received_required_fields_match_the_published_contract() -> None:
    required = set(_schema("call.received")["required"])
    assert required == {"event_id", "occurred_at", "channel", "caller", "body"}
