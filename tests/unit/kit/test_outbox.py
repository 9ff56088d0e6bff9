"""``kefu_kit.outbox``: the one encoding of owed events, and the relay every outbox shape drives."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
import structlog
from kefu_contracts import CaseStatusChanged, Event

from kefu_kit import outbox

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)


def status_event(case_id: str, n: int) -> CaseStatusChanged:
    return CaseStatusChanged(
        event_id=f"ev-{case_id}-{n}", occurred_at=T0 + timedelta(seconds=n), correlation_id="c", causation_id="c",
        case_id=case_id, customer_id="cust", status="in_progress", actor="test", kind="repair", department="engineering",
    )


def test_an_owed_event_is_stored_as_its_topic_and_json_and_reads_back_equal():
    event = status_event("c1", 1)
    doc = outbox.encode(event)
    assert doc == {"topic": "case.status_changed", "event": event.model_dump(mode="json")}
    assert doc["event"]["occurred_at"] == "2026-03-01T09:00:01Z"  # JSON, not a datetime: what BSON keeps as is
    assert outbox.decode(doc) == event


def test_shapes_already_in_databases_decode():
    """An aggregate outbox entry's event, a claim (surveys' answers, legacy outbox) and an embedded survey.due entry
    all hold ``topic`` and ``event`` next to their own fields."""
    event = status_event("c2", 2)
    stored = {"topic": "case.status_changed", "event": event.model_dump(mode="json")}
    claim = {"_id": "s1", **stored, "send_at": T0, "sent": False, "campaign_id": None}
    assert outbox.decode(stored) == outbox.decode(claim) == event


def test_only_contract_events_have_a_topic():
    class NotAContract(CaseStatusChanged):
        pass

    assert outbox.topic_of(status_event("c3", 1)) == "case.status_changed"
    with pytest.raises(KeyError, match="NotAContract is not a contract event"):
        outbox.topic_of(NotAContract(**status_event("c3", 1).model_dump()))


class Entries:
    """An in-memory outbox: entries with their events; what the relay published and settled, in one log."""

    def __init__(self, entries: dict[str, list[Event]]) -> None:
        self.entries = entries
        self.log: list[str] = []
        self.fail_on: str | None = None

    async def due(self) -> list[str]:
        return list(self.entries)

    async def events_of(self, entry: str) -> list[Event]:
        return self.entries[entry]

    async def settle(self, entry: str) -> None:
        self.log.append(f"settle {entry}")
        del self.entries[entry]

    async def publish(self, event: Event) -> None:
        if event.event_id == self.fail_on:
            raise ConnectionError("broker gone")
        self.log.append(f"publish {event.event_id}")

    async def relay(self) -> int:
        return await outbox.relay("things_outbox", self.due, self.events_of, self.settle, self.publish,
                                  since=lambda entry: T0)


@contextmanager
def fresh_logger():
    """The module's logger, bound anew inside ``capture_logs``: a logger used earlier in the run is cached
    (``cache_logger_on_first_use``) with the processors of its first use, and would not be captured."""
    kept = outbox.log
    outbox.log = structlog.get_logger(outbox.__name__)
    try:
        yield
    finally:
        outbox.log = kept


async def test_each_entry_is_published_in_order_then_settled_and_one_owing_nothing_is_settled_alone():
    owed = Entries({"a|2": [status_event("a", 2), status_event("a", 3)], "a|3|lost": [], "b|2": [status_event("b", 2)]})
    with structlog.testing.capture_logs() as logs, fresh_logger():
        assert await owed.relay() == 3
    assert owed.log == ["publish ev-a-2", "publish ev-a-3", "settle a|2", "settle a|3|lost",
                        "publish ev-b-2", "settle b|2"]
    assert owed.entries == {}
    warning = next(e for e in logs if e["log_level"] == "warning")
    assert (warning["outbox"], warning["entries"], warning["events"], warning["owed_nothing"]) == \
        ("things_outbox", 3, 3, 1)
    assert warning["oldest"] == str(T0)


async def test_a_publish_that_fails_leaves_its_entry_and_the_rest_for_the_next_run():
    owed = Entries({"a|2": [status_event("a", 2)], "a|3": [status_event("a", 3), status_event("a", 4)],
                    "a|4": [status_event("a", 5)]})
    owed.fail_on = "ev-a-4"
    with pytest.raises(ConnectionError):
        await owed.relay()
    assert list(owed.entries) == ["a|3", "a|4"]  # ev-a-3 went out: the next run repeats it (at least once)
    owed.fail_on = None
    assert await owed.relay() == 3
    assert owed.log == ["publish ev-a-2", "settle a|2", "publish ev-a-3",
                        "publish ev-a-3", "publish ev-a-4", "settle a|3", "publish ev-a-5", "settle a|4"]


async def test_nothing_due_publishes_nothing_and_warns_of_nothing():
    owed = Entries({})
    with structlog.testing.capture_logs() as logs, fresh_logger():
        assert await owed.relay() == 0
    assert owed.log == [] and logs == []
