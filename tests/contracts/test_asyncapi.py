"""Each service's AsyncAPI document names the topics it consumes and publishes, with contract payloads."""

import json
import subprocess
import sys

import pytest

EXPECTED = {
    "intake": ({"call.received", "case.status_changed"}, {"case.opened", "case.followed_up", "property.handed_over"}),
    "routing": ({"case.opened", "case.followed_up", "survey.answered", "member.tier_changed"},
                {"case.assigned", "case.status_changed", "complaint.escalated", "complaint.group_changed",
                 "repair.completed", "defect.batch_suspected"}),
    "notifications": ({"case.assigned", "complaint.escalated", "survey.due", "member.joined",
                       "community_event.signup_changed"}, {"notification.failed"}),
    "surveys": ({"repair.completed", "case.status_changed", "member.joined", "property.handed_over",
                 "community_event.attended"}, {"survey.due", "survey.answered"}),
    "membership": ({"survey.answered", "property.handed_over"},
                   {"member.joined", "member.tier_changed", "community_event.signup_changed",
                    "community_event.attended"}),
    "dashboard": ({"case.opened", "case.assigned", "case.status_changed", "complaint.escalated",
                   "complaint.group_changed", "survey.answered", "repair.completed"}, set()),
    "knowledge": ({"case.opened", "case.status_changed"}, set()),
}


@pytest.mark.parametrize("service", sorted(EXPECTED))
def test_asyncapi_document_lists_the_service_topics(service: str, tmp_path) -> None:
    out = tmp_path / f"{service}.json"
    subprocess.run(
        [sys.executable, "-m", "faststream", "docs", "gen", f"kefu_{service}.asyncapi:app", "-o", str(out)],
        check=True, capture_output=True,
    )
    doc = json.loads(out.read_text())
    assert doc["asyncapi"].startswith("3.")
    addresses = {ch["address"]: name for name, ch in doc["channels"].items()}
    consumes, publishes = EXPECTED[service]
    assert consumes | publishes == set(addresses)
    schemas = json.dumps(doc["components"]["schemas"])
    if service == "dashboard":
        # One subscriber reads all seven topics and parses each by its topic (projection order matters more
        # than a typed handler), so its document lists the channels without payload schemas.
        return
    assert "event_id" in schemas and "occurred_at" in schemas
