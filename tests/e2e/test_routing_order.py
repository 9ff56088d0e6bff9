"""Routing gives the same result whatever order a case's events arrive in across topics, on real servers.

``case.opened`` and ``case.followed_up`` (and ``survey.answered``) are separate topics, so Kafka orders
nothing between them: an owner's repeat complaints can be consumed before the complaint that opened
their case (measured: all three were dead-lettered with ``NotFound``, and the case never escalated).
Here the same owner story is delivered in order, early before routing starts (all in one go), and
early while routing runs, each early one twice (a redelivery); the cases must end alike.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from kefu_contracts import CaseFollowedUp, CaseOpened, SurveyAnswered, Topics, dlq_name
from kefu_kit import ensure_topics

from support.kafka_io import read_all
from support.lag import lag
from support.waiting import eventually

pytestmark = pytest.mark.e2e

FOLLOW_UPS = 3  # the measured incident: an owner complained four times in an hour


class Story:
    """One owner's complaint and its repeat complaints (and, for a repair, a dissatisfied return visit)."""

    def __init__(self, name: str, start: datetime, kind: str = "complaint") -> None:
        tag = uuid.uuid4().hex[:8]
        self.name = name
        self.opened = CaseOpened(
            event_id=f"opened-{name}-{tag}", occurred_at=start, correlation_id=f"call-{name}-{tag}-0",
            causation_id=f"call-{name}-{tag}-0", case_id=f"case-{name}-{tag}", contact_id=f"call-{name}-{tag}-0",
            customer_id=f"cust-{name}-{tag}", channel="hotline", kind=kind, classified_by="rules",
            category="leak" if kind == "repair" else None, project="滨江花园", building=f"{name}幢", unit="0101",
            body="卫生间天花板漏水" if kind == "repair" else "保安态度很差，我要投诉",
        )
        self.follow_ups = [CaseFollowedUp(
            event_id=f"followup-{name}-{tag}-{n}", occurred_at=start + timedelta(minutes=n),
            correlation_id=self.opened.correlation_id, causation_id=f"call-{name}-{tag}-{n}",
            case_id=self.opened.case_id, contact_id=f"call-{name}-{tag}-{n}", customer_id=self.opened.customer_id,
            channel="wechat", kind="complaint", body="还没人来处理，投诉",
        ) for n in range(1, FOLLOW_UPS + 1)] if kind == "complaint" else []

    @property
    def case_id(self) -> str:
        return self.opened.case_id

    def index_of(self, cause: str) -> int:
        """Which follow-up (1..n) an event id is: comparable across stories."""
        return next(n for n, f in enumerate(self.follow_ups, 1) if f.event_id == cause)


async def send(producer, topic: str, events) -> None:
    futures = [await producer.send(topic, e.to_json_bytes(), key=e.kafka_key().encode()) for e in events]
    await asyncio.gather(*futures)


def outcome(story: Story, case: dict) -> dict:
    """What in-order and early delivery must agree on, with follow-ups named by their place in the story."""
    return {
        "level": case["level"],
        "follow_ups": [story.index_of(t["contact_id"].replace("call-", "followup-", 1))
                       for t in case["timeline"] if t["type"] == "follow_up"],
        "contacts": len(case["contacts"]),
        "applied": sorted(story.index_of(e) for e in case["applied"] if e.startswith("followup-")),
        "escalations": [(e["from"], e["to"], e["reason"], story.index_of(e["cause"]))
                        for e in case["escalations"] if e["reason"] == "repeat_complaint"],
    }


@pytest.mark.timeout(600)
async def test_follow_ups_and_a_survey_answer_before_their_case_end_as_in_order_once_each(
    services, producer, mongo, namespace, infra
):
    topics = Topics(namespace)
    await ensure_topics(infra.kafka_bootstrap, topics.all_physical())
    db = mongo[f"{namespace}_kefu_routing"]
    start = datetime.now(timezone.utc) - timedelta(minutes=10)
    in_order, before_start, while_running = Story("A", start), Story("B", start), Story("C", start)
    repair = Story("D", start, kind="repair")
    answer = SurveyAnswered(
        event_id=f"answered-{uuid.uuid4().hex[:8]}", occurred_at=start + timedelta(minutes=5),
        correlation_id=repair.opened.correlation_id, causation_id=f"due-{repair.case_id}",
        survey_id=f"rv-{repair.case_id}", kind="repair_return_visit", customer_id=repair.opened.customer_id,
        case_id=repair.case_id, questionnaire_id="repair-rv-v1", csat=1, solved=False,
        answered_at=start + timedelta(minutes=5))

    # 1. before routing runs: the follow-ups twice each (a redelivery), then the opening; all consumed in one
    #    go (which topic routing reads first is up to it: the outcome must not depend on it)
    for _ in range(2):
        await send(producer, topics("case.followed_up"), before_start.follow_ups)
    await send(producer, topics("case.opened"), [before_start.opened])
    (routing,) = services("routing")

    # 2. routing running: the in-order story, one event after the other, each applied before the next
    await send(producer, topics("case.opened"), [in_order.opened])
    await eventually(lambda: db.cases.find_one({"_id": in_order.case_id}), lambda c: c is not None,
                     what="the in-order case")
    for n, follow_up in enumerate(in_order.follow_ups, 1):
        await send(producer, topics("case.followed_up"), [follow_up])
        await eventually(lambda: db.cases.find_one({"_id": in_order.case_id}),
                         lambda c: len(c["contacts"]) == 1 + n, what=f"in-order follow-up {n}")

    # 3. routing running, the follow-ups and the repair's return visit answer first (twice each): they wait,
    #    parked, then the openings come
    for _ in range(2):
        await send(producer, topics("case.followed_up"), while_running.follow_ups)
        await send(producer, topics("survey.answered"), [answer])
    parked = await eventually(
        lambda: db.parked.find({"aggregate_id": {"$in": [while_running.case_id, repair.case_id]}}).to_list(),
        lambda docs: len(docs) == FOLLOW_UPS + 1, what="the early follow-ups and answer parked")
    assert {d["_id"] for d in parked} == {f.event_id for f in while_running.follow_ups} | {answer.event_id}, \
        "parked once each"
    group = f"{namespace}.kefu-routing"
    for name in ("case.followed_up", "survey.answered"):
        await eventually(lambda: lag(infra.kafka_bootstrap, group, topics(name)), lambda n: n == 0,
                         what=f"{name} consumed (parking commits its offsets)")
    assert await db.cases.find_one({"_id": while_running.case_id}) is None
    await send(producer, topics("case.opened"), [while_running.opened, repair.opened])

    stories = (in_order, before_start, while_running)
    for story in stories:
        await eventually(lambda: db.cases.find_one({"_id": story.case_id}),
                         lambda c: c is not None and len(c["contacts"]) == 1 + FOLLOW_UPS,
                         timeout=90, what=f"story {story.name}: every follow-up applied")
    await eventually(lambda: db.cases.find_one({"_id": repair.case_id}),
                     lambda c: c is not None and answer.event_id in c["applied"], what="the early answer applied")
    for name in ("case.opened", "case.followed_up", "survey.answered"):
        await eventually(lambda: lag(infra.kafka_bootstrap, group, topics(name)), lambda n: n == 0,
                         what=f"routing caught up on {name}")
    await eventually(lambda: db.parked.count_documents({}), lambda n: n == 0, what="nothing left parked")

    cases = {s.name: await db.cases.find_one({"_id": s.case_id}) for s in (*stories, repair)}
    expected = outcome(in_order, cases["A"])
    assert expected["level"] == 3 and expected["follow_ups"] == [1, 2, 3] and expected["applied"] == [1, 2, 3]
    assert [e[3] for e in expected["escalations"]] == [1, 2], "in order: 1→2, 2→3, then the top level"
    for story in (before_start, while_running):
        assert outcome(story, cases[story.name]) == expected, f"story {story.name} differs from the in-order one"

    # the published escalations: one complaint.escalated per escalating follow-up, as in order; the same for all
    escalated: dict[str, list[dict]] = defaultdict(list)
    for record in await read_all(infra, topics("complaint.escalated"), 2000):
        event = json.loads(record.value)
        escalated[event["case_id"]].append(event)
    for story in stories:
        events = escalated[story.case_id]
        by_id = defaultdict(list)
        for e in events:
            by_id[e["event_id"]].append(e)
        assert all(all(c == copies[0] for c in copies) for copies in by_id.values()), "a republish differs"
        repeats = [copies[0] for copies in by_id.values() if copies[0]["reason"] == "repeat_complaint"]
        assert sorted((e["previous_level"], e["level"], story.index_of(e["causation_id"])) for e in repeats) == \
            [(1, 2, 1), (2, 3, 2)], f"story {story.name}: {repeats}"

    # the answer that came before its repair case: applied once, the owner's dissatisfaction escalated once
    d = cases["D"]
    assert d["applied"].count(answer.event_id) == 1
    assert [t["survey_id"] for t in d["timeline"] if t["type"] == "return_visit"] == [answer.survey_id]
    assert [(e["reason"], e["cause"]) for e in d["escalations"]] == [("dissatisfied_return_visit", answer.event_id)]
    assert [e["causation_id"] for e in escalated[repair.case_id]
            if e["reason"] == "dissatisfied_return_visit"][:1] == [answer.event_id]
    assert len({e["event_id"] for e in escalated[repair.case_id]}) == 1

    for name in ("case.opened", "case.followed_up", "survey.answered"):
        assert not await read_all(infra, dlq_name(topics(name)), 300), f"{name}: dead letters"
    metrics = httpx.get(routing.url + "/metrics", timeout=5).text
    assert counter(metrics, 'kefu_routing_parked_total{topic="case.followed_up"}') >= FOLLOW_UPS  # C's, B's maybe
    assert counter(metrics, 'kefu_routing_parked_total{topic="survey.answered"}') == 1  # parked once, sent twice


def counter(metrics: str, name: str) -> float:
    return next(float(line.split()[-1]) for line in metrics.splitlines() if line.startswith(name + " "))


@pytest.mark.timeout(300)
async def test_an_event_whose_case_never_appears_is_dead_lettered_with_why_after_the_max_age(
    services, producer, mongo, namespace, infra
):
    topics = Topics(namespace)
    await ensure_topics(infra.kafka_bootstrap, topics.all_physical())
    db = mongo[f"{namespace}_kefu_routing"]
    (routing,) = services("routing", KEFU_PARKED_MAX_AGE_S="2", KEFU_PARKED_CHECK_INTERVAL_S="0.5")
    orphan = Story("E", datetime.now(timezone.utc) - timedelta(minutes=5))
    await send(producer, topics("case.followed_up"), orphan.follow_ups[:1])

    dead = await eventually(lambda: read_all(infra, dlq_name(topics("case.followed_up")), 1000),
                            lambda m: len(m) >= 1, timeout=60, what="the orphan follow-up dead-lettered")
    assert len(dead) == 1
    assert dead[0].value == orphan.follow_ups[0].to_json_bytes() and dead[0].key == orphan.case_id.encode()
    headers = {k: v.decode() for k, v in dead[0].headers}
    assert headers["kefu-dlq-reason"] == "parked_expired"
    assert headers["kefu-dlq-error-type"] == "ParkedTooLong"
    assert orphan.case_id in headers["kefu-dlq-error"] and "2 s" in headers["kefu-dlq-error"]
    assert headers["kefu-dlq-original-topic"] == topics("case.followed_up")
    assert await db.parked.count_documents({}) == 0, "an expired event leaves the parking"
    metrics = await eventually(lambda: _metrics(routing.url), lambda m: "kefu_routing_parked_events 0.0" in m,
                               what="the parked gauge back to 0")
    assert 'kefu_routing_parked_expired_total{topic="case.followed_up"} 1.0' in metrics


async def _metrics(url: str) -> str:
    async with httpx.AsyncClient() as client:
        return (await client.get(url + "/metrics", timeout=5)).text
