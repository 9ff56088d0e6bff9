"""``kefu_notifications_failed_total`` on the real store: one count per message given up on, not per report."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from kefu_contracts import NotificationFailed
from kefu_notifications.adapters.store import NotificationStore, ensure_indexes
from kefu_notifications.domain.keys import message_id
from kefu_notifications.failures import FailureReporter
from prometheus_client import CollectorRegistry

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc)


def message(i: int, channel: str) -> dict:
    return {"_id": message_id(f"ev-{i}", f"customer:C{i}", channel), "cause_event_id": f"ev-{i}",
            "cause_topic": "survey.due", "correlation_id": f"call-{i}", "case_id": None,
            "recipient": f"customer:C{i}", "channel": channel, "template": "survey_due.periodic_satisfaction"}


async def test_a_failure_is_counted_once_by_channel_even_when_reported_again(mongo, namespace):
    db = mongo[f"{namespace}_kefu_notifications"]
    await ensure_indexes(db)
    store = NotificationStore(db)
    published: list[NotificationFailed] = []

    async def publish(event: NotificationFailed) -> None:
        published.append(event)

    registry, other_registry = CollectorRegistry(), CollectorRegistry()
    reporter = FailureReporter(store, publish, registry)
    other_instance = FailureReporter(store, publish, other_registry)

    await reporter.report(message(1, "sms"), "gateway down", 3, T0)
    await reporter.report(message(1, "sms"), "gateway down", 3, T0)  # a redelivery
    await other_instance.report(message(1, "sms"), "gateway down", 3, T0)  # another instance recovering it
    await reporter.report(message(2, "email"), "no provider", 0, T0)

    def failed(reg: CollectorRegistry, channel: str) -> float | None:
        return reg.get_sample_value("kefu_notifications_failed_total", {"channel": channel})

    assert (failed(registry, "sms"), failed(registry, "email")) == (1.0, 1.0)
    assert failed(other_registry, "sms") is None
    assert len(published) == 4  # the events are still republished: at least once
