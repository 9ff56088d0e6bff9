"""One event into the store (in memory here): answers get their case's project in either order; the live feed."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from typing import Any

from dashboard_events import answered, assigned, escalated, opened, status
from kefu_dashboard import projection
from kefu_dashboard.feed import FeedHub
from kefu_dashboard.ingest import ingest, parse


class MemoryStore:
    """The ``CaseStore`` calls ``ingest`` and ``FeedHub`` make, on dicts."""

    def __init__(self) -> None:
        self.cases: dict[str, dict[str, Any]] = {}
        self.answers: dict[str, dict[str, Any]] = {}
        self.feed: dict[str, dict[str, Any]] = {}

    async def apply(self, case_id: str, fact: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        before = self.cases.get(case_id)
        after = projection.apply(before, case_id, fact)
        if after is None:
            return before, before  # type: ignore[return-value]
        self.cases[case_id] = after
        return before, after

    async def add_answer(self, answer: dict[str, Any]) -> None:
        self.answers.setdefault(answer["_id"], answer)

    async def fill_answer_project(self, survey_id: str, project: str) -> None:
        if survey_id in self.answers and self.answers[survey_id]["project"] is None:
            self.answers[survey_id]["project"] = project

    async def add_to_feed(self, entry: dict[str, Any]) -> None:
        self.feed.setdefault(entry["_id"], entry)

    async def feed_since(self, since: datetime) -> list[dict[str, Any]]:
        return sorted((e for e in self.feed.values() if e["recorded_at"] >= since), key=lambda e: e["recorded_at"])


async def test_an_answer_without_a_project_takes_its_cases_whichever_comes_first() -> None:
    events = [opened(), assigned(), answered(project=None), answered(case_id="case-1", survey_id="sv-2", project="翠湖天地")]
    for order in itertools.permutations(events):
        store = MemoryStore()
        for topic, event in order:
            await ingest(topic, event, store)  # type: ignore[arg-type]
        assert store.answers["sv-1"]["project"] == "滨江花园"
        assert store.answers["sv-2"]["project"] == "翠湖天地", "an answer's own project wins"
        assert [a["survey_id"] for a in store.cases["case-1"]["answers"]] == ["sv-1", "sv-2"]


async def test_an_answer_of_an_unknown_case_keeps_no_project() -> None:
    store = MemoryStore()
    await ingest(*answered(case_id=None, project=None), store)  # type: ignore[arg-type]
    assert store.answers["sv-1"]["project"] is None and store.cases == {}


async def test_new_and_escalated_cases_go_to_the_live_feed_and_a_replay_announces_nothing() -> None:
    lead = escalated("case-1", level=3, previous=1, reason="group_complaint", causation_id="group-1",
                     related_case_ids=["case-1", "case-2"])
    events = [opened(), assigned(), status("case-1", "in_progress", "assigned", 10), lead]
    live, replay = MemoryStore(), MemoryStore()
    for topic, event in events:
        await ingest(topic, event, live)  # type: ignore[arg-type]
        await ingest(topic, event, replay, live=False)  # type: ignore[arg-type]
    assert [(e["type"], e["case_id"]) for e in live.feed.values()] == [("new", "case-1"), ("escalated", "case-1")]
    entry = live.feed["case-1-escalated-3"]
    assert entry["escalation"] == {"level": 3, "previous_level": 1, "reason": "group_complaint"}
    assert entry["case"]["department"] == "engineering" and entry["case"]["group_id"] == "group-1"
    assert replay.feed == {} and replay.cases == live.cases


def test_a_message_is_parsed_by_its_topics_contract() -> None:
    topic, event = opened()
    assert parse(topic, event.to_json_bytes()) == event
    assert parse(topic, event.model_dump(mode="json")) == event


async def test_the_feed_hub_hands_each_entry_to_every_stream_once() -> None:
    store = MemoryStore()
    hub = FeedHub(store, overlap=timedelta(seconds=10))  # type: ignore[arg-type]
    now = datetime.now(timezone.utc)
    with hub.subscribe() as first, hub.subscribe() as second:
        store.feed["a"] = {"_id": "a", "recorded_at": now + timedelta(seconds=1)}
        assert await hub.poll() == 1
        store.feed["late"] = {"_id": "late", "recorded_at": now - timedelta(seconds=5)}  # a writer's slow insert
        assert await hub.poll() == 1
        assert await hub.poll() == 0, "nothing twice"
        for queue in (first, second):
            assert [queue.get_nowait()["_id"] for _ in range(queue.qsize())] == ["a", "late"]
    assert hub.streams == set()
