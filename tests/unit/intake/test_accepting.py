"""POST /calls' pure parts: which bodies are the same call, and the event built from a body."""

from __future__ import annotations

from datetime import datetime, timezone

from kefu_intake.accepting import call_event, fingerprint
from kefu_intake.api_models import CallSubmission
from kefu_kit.auth import Principal

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
AGENT = Principal("王芳", "hotline_agent", None)
ADAPTER = Principal("wechat-adapter", "channel_adapter", None)
BODY = {"channel": "hotline", "caller": {"phone": "13900005555"}, "body": "门锁坏了", "external_ref": "r-1"}


def test_a_retry_with_the_assigned_event_id_is_the_same_call_and_another_body_is_not() -> None:
    first = fingerprint(CallSubmission.model_validate(BODY))
    assert fingerprint(CallSubmission.model_validate({**BODY, "event_id": "call-assigned"})) == first
    assert fingerprint(CallSubmission.model_validate({**BODY, "body": "门锁又坏了"})) != first
    assert fingerprint(CallSubmission.model_validate({**BODY, "occurred_at": NOW.isoformat()})) != first


def test_the_envelope_is_filled_in_and_an_agent_is_the_recorder() -> None:
    event = call_event(CallSubmission.model_validate(BODY), AGENT, NOW)
    assert event.event_id.startswith("call-") and event.occurred_at == NOW and event.agent_id == "王芳"
    assert event.kafka_key() == "13900005555" and event.external_ref == "r-1"
    given = call_event(CallSubmission.model_validate({**BODY, "event_id": "e-1", "agent_id": "A07",
                                                      "occurred_at": "2026-10-31T08:00:00+08:00"}), AGENT, NOW)
    assert (given.event_id, given.agent_id) == ("e-1", "A07")
    assert given.occurred_at.isoformat() == "2026-10-31T08:00:00+08:00"
    assert call_event(CallSubmission.model_validate(BODY), ADAPTER, NOW).agent_id is None  # an adapter is no agent


def test_an_agent_name_longer_than_the_contract_allows_is_cut() -> None:
    long = Principal("x" * 100, "hotline_agent", None)
    assert call_event(CallSubmission.model_validate(BODY), long, NOW).agent_id == "x" * 64
