"""``make bench PRELOAD=N`` on the real store: N calls' worth of what the three services store, ready for them."""

from __future__ import annotations

import os

import pytest
from kefu_cli.bench_preload import preload_calls, preload_lines, seed
from kefu_cli.calls_source import sample_lines
from kefu_routing.adapters.store import CaseRepository

pytestmark = pytest.mark.integration

N = 60


async def test_seeded_cases_are_stored_as_the_services_store_them(infra, mongo, namespace):
    env = {**os.environ, "KEFU_MONGO_URL": infra.mongo_url, "KEFU_NAMESPACE": namespace}
    for key in [k for k in env if k.endswith("_MONGO_URL") and k != "KEFU_MONGO_URL"]:
        del env[key]  # the test's store for all three services
    lines: list[str] = []
    stats = await seed(env, preload_calls(sample_lines(), N), N, say=lines.append)

    assert (stats.calls, stats.cases, stats.follow_ups, stats.notices) == (N, N, 0, N)
    assert lines and "took" in lines[-1]
    intake, routing = mongo[f"{namespace}_kefu_intake"], mongo[f"{namespace}_kefu_routing"]
    notifications = mongo[f"{namespace}_kefu_notifications"]
    contacts = await intake.contacts.find().to_list()
    assert len(contacts) == N
    cases = {c["_id"]: c for c in await routing.cases.find().to_list()}
    assert set(cases) == {c["case_id"] for c in contacts}
    for contact in contacts:
        case = cases[contact["case_id"]]
        assert case["customer_id"] == contact["customer_id"]
        assert case["status"] == "assigned" and case["department"] and case["deadlines"]["respond_by"]
        assert case["opened_at"].tzinfo is not None
    notices = await notifications.notifications.find().to_list()
    assert {n["case_id"] for n in notices} == set(cases)
    assert await notifications.messages.count_documents({}) >= N
    # the aggregate store reads them back like its own (snapshot and revision 1 agree)
    repo = CaseRepository(routing, publish=None)  # type: ignore[arg-type]
    some = next(iter(cases))
    assert (await repo.get(some))["rev"] >= 1
    assert await routing.cases_revisions.find_one({"_id": f"{some}|1"}) is not None
    # with the services' indexes, made before the data went in
    from kefu_routing.adapters.queries import INDEXES

    made = {tuple(v["key"]) for v in (await routing.cases.index_information()).values()}
    assert {tuple(ix.document["key"].items()) for ix in INDEXES["cases"]} <= made
    assert any(v["key"] == [("case_id", 1)] for v in (await notifications.notifications.index_information()).values())


def test_preload_callers_and_buildings_are_not_the_measured_runs():
    lines = preload_lines(sample_lines(), 2500)
    import json

    calls = [json.loads(line) for line in lines]
    phones = [c["caller"]["phone"] for c in calls]
    assert len(set(phones)) == 2500 and all(p.startswith("137") for p in phones)  # the measured run's are 139...
    with_building = [c for c in calls if c.get("property", {}).get("building")]
    assert with_building[0]["property"]["building"].endswith("-b0")
    assert calls[2499]["property"]["building"].endswith("-b2")
