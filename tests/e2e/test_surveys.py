"""Return visits and satisfaction surveys on real servers: the surveys service as processes, fed by contract events."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from kefu_contracts import (
    CaseStatusChanged,
    Contact,
    Money,
    PropertyHandedOver,
    RepairCompleted,
    Topics,
)

from support import auth
from support.kafka_io import read_all
from support.waiting import eventually

pytestmark = pytest.mark.e2e

FAST = {"KEFU_REPAIR_VISIT_DUE_AFTER_S": "1", "KEFU_COMPLAINT_VISIT_DUE_AFTER_S": "1",
        "KEFU_SCHEDULER_INTERVAL_S": "0.3", "KEFU_RELAY_INTERVAL_S": "1", "KEFU_CAMPAIGN_INTERVAL_S": "0.2"}


def now() -> datetime:
    return datetime.now(timezone.utc)


def chain() -> dict:
    return {"event_id": f"ev-{uuid.uuid4()}", "occurred_at": now(), "correlation_id": f"call-{uuid.uuid4()}",
            "causation_id": f"ev-{uuid.uuid4()}"}


def status_event(case_id: str, customer_id: str, status: str = "assigned", kind: str = "repair",
                 level: int | None = None, actor: str = "engineering") -> CaseStatusChanged:
    return CaseStatusChanged(**chain(), case_id=case_id, customer_id=customer_id, status=status, actor=actor,
                             kind=kind, department="engineering", project="滨江花园", building="3幢", unit="0301",
                             level=level)


def repair_event(case_id: str, work_order_id: str = "wo-1") -> RepairCompleted:
    return RepairCompleted(**chain(), case_id=case_id, work_order_id=work_order_id, project="滨江花园",
                           building="3幢", unit="0301", department="engineering", under_warranty=True,
                           cost=Money(amount="0.00"), completed_at=now())


async def send(producer, ns: str, topic: str, event) -> None:
    await producer.send_and_wait(Topics(ns)(topic), event.to_json_bytes(), key=event.kafka_key().encode())


async def published(infra, ns: str, topic: str, timeout_ms: int = 800) -> list[dict]:
    return [json.loads(m.value) for m in await read_all(infra, Topics(ns)(topic), timeout_ms)]


async def surveys_due(infra, ns: str) -> list[dict]:
    return await published(infra, ns, "survey.due")


async def test_return_visits_are_published_once_with_two_instances_and_a_restart(
        services, producer, mongo, namespace, infra):
    first, second = services("surveys", "surveys", **FAST)
    db = mongo[f"{namespace}_kefu_surveys"]
    await send(producer, namespace, "property.handed_over", PropertyHandedOver(
        **chain(), customer_id="cust-a", project="滨江花园", building="3幢", unit="0301",
        handover_date="2024-06-30", contact=Contact(name="王先生", phone="+8613900000001")))
    await eventually(lambda: db.customers.find_one({"_id": "cust-a"}), lambda c: c is not None, what="contact known")

    # case A: the repair is completed before surveys hears whose case it is; case B the usual way round
    repair_a = repair_event("case-a")
    await send(producer, namespace, "repair.completed", repair_a)
    await send(producer, namespace, "repair.completed", repair_a)  # a redelivery
    await eventually(lambda: db.surveys.find_one({"case_id": "case-a"}), lambda s: s is not None, what="visit stored")
    await send(producer, namespace, "case.status_changed", status_event("case-a", "cust-a"))
    await send(producer, namespace, "case.status_changed", status_event("case-b", "cust-b"))
    await eventually(lambda: db.cases.count_documents({}), lambda n: n == 2, what="cases learned")
    await send(producer, namespace, "repair.completed", repair_event("case-b"))
    # a complaint closed by the manager owes a complaint visit; one closed by a satisfied visit does not
    await send(producer, namespace, "case.status_changed",
               status_event("case-c", "cust-c", "closed", kind="complaint", level=1, actor="manager"))
    await send(producer, namespace, "case.status_changed",
               status_event("case-d", "cust-d", "closed", kind="repair", level=1, actor="surveys"))

    due = await eventually(lambda: surveys_due(infra, namespace), lambda d: len(d) >= 3, what="3 visits due")
    first.kill()
    first.start()
    await eventually(lambda: db.surveys.count_documents({"status": "open"}), lambda n: n == 3, what="3 open")
    due = await surveys_due(infra, namespace)
    assert len(due) == 3, [d["survey_id"] for d in due]
    by_case = {d["case_id"]: d for d in due}
    assert set(by_case) == {"case-a", "case-b", "case-c"}
    a = by_case["case-a"]
    assert a["kind"] == "repair_return_visit" and a["questionnaire_id"] == "return-visit-v1"
    assert a["customer"] == {"customer_id": "cust-a", "name": "王先生", "phone": "+8613900000001"}
    assert a["preferred_channel"] == "phone" and a["causation_id"] == repair_a.event_id
    assert by_case["case-b"]["customer"] == {"customer_id": "cust-b"}, "no contact known: an agent phones"
    assert by_case["case-c"]["kind"] == "complaint_return_visit"
    due_at = datetime.fromisoformat(a["due_at"])  # the store keeps milliseconds
    assert abs(due_at - (repair_a.completed_at + timedelta(seconds=1))) < timedelta(milliseconds=1)

    # routing fixes it again after a dissatisfied visit: a new repair.completed is a new visit
    await send(producer, namespace, "repair.completed", repair_event("case-a", "wo-1-r"))
    due = await eventually(lambda: surveys_due(infra, namespace), lambda d: len(d) == 4, what="the second visit")
    assert len({d["survey_id"] for d in due}) == 4 and len({d["event_id"] for d in due}) == 4
    assert [d["case_id"] for d in due].count("case-a") == 2


async def test_an_owner_answers_once_through_the_link(services, producer, mongo, namespace, infra):
    (svc,) = services("surveys", **FAST)
    await send(producer, namespace, "case.status_changed", status_event("case-1", "cust-1"))
    await eventually(lambda: mongo[f"{namespace}_kefu_surveys"].cases.count_documents({}), lambda n: n == 1,
                     what="case learned")
    await send(producer, namespace, "repair.completed", repair_event("case-1"))
    (due,) = await eventually(lambda: surveys_due(infra, namespace), lambda d: len(d) == 1, what="visit due")
    sid = due["survey_id"]
    # customer relations issue the link and read the results; the owner opens it without any token
    async with auth.client(svc.url, "relations") as api, httpx.AsyncClient(base_url=svc.url, timeout=20) as owner:
        link = (await api.post(f"/surveys/{sid}/link")).json()
        token = link["token"]
        assert link["url"].endswith(f"/s/{token}")
        shown = await owner.get(f"/s/{token}")
        assert shown.status_code == 200
        assert [q["field"] for q in shown.json()["questionnaire"]["questions"]] == ["csat", "solved", "comment"]
        stored = await mongo[f"{namespace}_kefu_surveys"].links.find_one({})
        assert token not in json.dumps(stored, default=str), "only the token's hash is stored"

        incomplete = await owner.post(f"/s/{token}", json={"csat": 2})
        assert incomplete.status_code == 422, "an incomplete form does not use the link up"
        answered = await owner.post(f"/s/{token}", json={"csat": 2, "solved": False, "comment": "还是漏水"})
        assert answered.status_code == 201, answered.text
        assert (await owner.post(f"/s/{token}", json={"csat": 5, "solved": True})).status_code == 410
        assert (await owner.get(f"/s/{token}")).status_code == 410
        again = await api.post(f"/surveys/{sid}/answers", json={"csat": 5, "solved": True, "agent_id": "a-7"})
        assert again.status_code == 409
        assert (await owner.get("/s/not-a-token")).status_code == 404
        assert (await api.get(f"/surveys/{sid}")).json()["status"] == "answered"
        month = datetime.now(timezone(timedelta(hours=8))).strftime("%Y-%m")
        results = (await api.get("/results", params={"month": month, "project": "滨江花园"})).json()
        assert results["overall"]["csat_answers"] == 1 and results["overall"]["satisfaction_rate"] == 0.0
        assert results["groups"][0]["department"] == "engineering" and results["overall"]["meets_target"] is False

    answers = await eventually(lambda: published(infra, namespace, "survey.answered"), lambda a: len(a) >= 1,
                               what="survey.answered")
    assert len(answers) == 1
    assert answers[0]["survey_id"] == sid
    assert (answers[0]["csat"], answers[0]["solved"], answers[0]["customer_id"]) == (2, False, "cust-1")
    assert answers[0]["case_id"] == "case-1" and answers[0]["questionnaire_id"] == "return-visit-v1"
    assert (answers[0]["project"], answers[0]["department"]) == ("滨江花园", "engineering"), "for per-project results"


async def test_an_agent_records_a_phone_visit(services, producer, mongo, namespace, infra):
    (svc,) = services("surveys", **FAST)
    await send(producer, namespace, "case.status_changed",
               status_event("case-9", "cust-9", "closed", kind="complaint", level=2, actor="manager"))
    (due,) = await eventually(lambda: surveys_due(infra, namespace), lambda d: len(d) == 1, what="visit due")
    async with auth.client(svc.url, "agent") as api:
        missing_agent = await api.post(f"/surveys/{due['survey_id']}/answers", json={"csat": 5, "solved": True})
        assert missing_agent.status_code == 422
        ok = await api.post(f"/surveys/{due['survey_id']}/answers",
                            json={"csat": 5, "solved": True, "agent_id": "a-7", "phone": "13900000009"})
        assert ok.status_code == 201
        assert (await api.post("/surveys/nope/answers", json={"csat": 5, "agent_id": "a"})).status_code == 404
    customer = await mongo[f"{namespace}_kefu_surveys"].customers.find_one({"_id": "cust-9"})
    assert customer["phone"] == "13900000009", "the agent's answer teaches surveys the owner's number"
    answers = await eventually(lambda: published(infra, namespace, "survey.answered"), lambda a: len(a) == 1,
                               what="survey.answered")
    assert answers[0]["kind"] == "complaint_return_visit" and answers[0]["csat"] == 5


async def test_an_unanswered_visit_is_retried_once_on_another_channel(services, producer, mongo, namespace, infra):
    services("surveys", "surveys", **FAST, KEFU_VISIT_ANSWER_WINDOW_S="1.5")
    db = mongo[f"{namespace}_kefu_surveys"]
    await send(producer, namespace, "case.status_changed", status_event("case-x", "cust-x"))
    await eventually(lambda: db.cases.count_documents({}), lambda n: n == 1, what="case learned")
    await send(producer, namespace, "repair.completed", repair_event("case-x"))
    survey = await eventually(lambda: db.surveys.find_one({}), lambda s: s and s["status"] == "unreachable",
                              timeout=60, what="unreachable after the retry")
    due = await surveys_due(infra, namespace)
    assert [d["preferred_channel"] for d in due] == ["phone", "sms"]
    assert len({d["event_id"] for d in due}) == 2 and {d["survey_id"] for d in due} == {survey["_id"]}
    assert [(u["attempt"], u["channel"]) for u in survey["unreachable"]] == [(1, "phone"), (2, "sms")]
    assert survey["attempt"] == 2


async def test_a_campaign_publishes_at_its_rate_and_pauses(services, mongo, namespace, infra):
    rate, total, horizon = 1200, 2000, 5
    svc, _ = services("surveys", "surveys", KEFU_CAMPAIGN_INTERVAL_S="0.2", KEFU_CAMPAIGN_HORIZON_S=str(horizon))
    owners = [{"customer_id": f"owner-{i:04d}", "name": f"业主{i}", "phone": f"139{i:08d}"} for i in range(total)]
    async with auth.client(svc.url, "relations", timeout=60) as api:
        created = await api.post("/campaigns", json={"project": "滨江花园", "rate_per_minute": rate, "owners": owners})
        assert created.status_code == 201, created.text
        cid = created.json()["campaign_id"]
        assert created.json()["total"] == total

        async def progress() -> dict:
            return (await api.get(f"/campaigns/{cid}")).json()

        await eventually(progress, lambda p: p["published"] >= 300, timeout=60, interval=1, what="300 published")
        assert (await api.post(f"/campaigns/{cid}/pause")).json()["state"] == "paused"
        await asyncio.sleep(1.5 * horizon + 1)  # the slots claimed before the pause are still published
        held = (await progress())["published"]
        await asyncio.sleep(4)
        paused = await progress()
        assert paused["published"] == held < total and paused["state"] == "paused", "a paused campaign is quiet"
        assert (await api.post(f"/campaigns/{cid}/resume")).json()["state"] == "running"
        done = await eventually(progress, lambda p: p["state"] == "done" and p["published"] == total, timeout=240,
                                interval=2, what="every owner published")
        assert done["answered"] == 0 and done["claimed"] == total
        overview = (await api.get("/campaigns", params={"project": "滨江花园"})).json()
        assert overview["overdue"] is False and [c["campaign_id"] for c in overview["campaigns"]] == [cid]

    records = await read_all(infra, Topics(namespace)("survey.due"), 3000)
    events = [json.loads(m.value) for m in records]
    assert len(events) == total and len({e["customer"]["customer_id"] for e in events}) == total, "each owner once"
    assert all(e["kind"] == "periodic_satisfaction" and e["preferred_channel"] == "sms" for e in events)
    times = sorted(m.timestamp / 1000 for m in records)
    assert times[-1] - times[0] >= (total - 1) * 60 / rate - 2
    # The bound is the configured rate per 10 s window; a sliding window over producer timestamps
    # also sees scheduling jitter of a few milliseconds at batch edges: allow 2% and 2 messages for it.
    allowed = rate / 6 * 1.02 + 2
    j = 0
    for i, t in enumerate(times):
        while times[j] <= t - 10:
            j += 1
        assert i - j + 1 <= allowed, f"{i - j + 1} surveys within 10 s at {t}"
