"""The dashboard's API on real servers: summary, cases, the live stream, and who sees what.

Events are published as routing would publish them (contract models, contract keys), so each
test decides the departments, levels and deadlines it needs.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from kefu_contracts import (
    CASE_ASSIGNED,
    CASE_OPENED,
    COMPLAINT_ESCALATED,
    CaseAssigned,
    CaseOpened,
    ComplaintEscalated,
    Event,
    Topics,
)

from support.routing_api import Tokens
from support.waiting import eventually

pytestmark = pytest.mark.e2e

FAST = {"KEFU_FEED_POLL_S": "0.2", "KEFU_STREAM_KEEPALIVE_S": "1", "KEFU_LAG_INTERVAL_S": "0.5"}


@dataclass
class Cases:
    """Publishes a case's opening and assignment, and escalations, as intake and routing do."""

    producer: AIOKafkaProducer
    namespace: str

    async def send(self, topic: str, event: Event) -> None:
        await self.producer.send_and_wait(Topics(self.namespace)(topic), event.to_json_bytes(),
                                          key=event.kafka_key().encode())

    async def new(self, department: str, project: str, body: str, kind: str = "complaint", level: int | None = 1,
                  building: str = "1幢", unit: str = "0101", respond_in: timedelta = timedelta(hours=2),
                  opened_ago: timedelta = timedelta(minutes=5)) -> str:
        case_id = f"case-{uuid.uuid4().hex[:10]}"
        now = datetime.now(timezone.utc)
        chain = {"correlation_id": f"call-{case_id}", "causation_id": f"call-{case_id}"}
        await self.send(CASE_OPENED, CaseOpened(
            event_id=f"opened-{case_id}", occurred_at=now - opened_ago, **chain, case_id=case_id,
            contact_id=f"call-{case_id}", customer_id=f"cust-{case_id[-6:]}", channel="hotline", kind=kind,
            classified_by="rules", project=project, building=building, unit=unit, body=body))
        await self.send(CASE_ASSIGNED, CaseAssigned(
            event_id=f"assigned-{case_id}", occurred_at=now - opened_ago + timedelta(seconds=1), **chain,
            case_id=case_id, department=department, assignee=f"{department}-1", kind=kind, project=project,
            building=building, summary=f"[{kind}] {project} {building} {body}",
            respond_by=now - opened_ago + respond_in, resolve_by=now + timedelta(days=3), rule=kind,
            level=level if kind == "complaint" else None))
        return case_id

    async def escalate(self, case_id: str, department: str, project: str, level: int, reason: str,
                       related: list[str] | None = None, building: str = "1幢") -> None:
        now = datetime.now(timezone.utc)
        cause = f"group-{case_id}" if reason == "group_complaint" else f"cause-{case_id}"
        await self.send(COMPLAINT_ESCALATED, ComplaintEscalated(
            event_id=f"escalated-{case_id}-{level}", occurred_at=now, correlation_id=f"call-{case_id}",
            causation_id=cause, case_id=case_id, level=level, previous_level=1, reason=reason,
            approver_role="cs_general_manager" if level > 1 else "cs_manager", project=project, building=building,
            department=department, summary=f"[complaint] {project} {building}", respond_by=now + timedelta(hours=1),
            resolve_by=now + timedelta(days=1), related_case_ids=related or []))


async def read_stream(client: httpx.AsyncClient, seen: list[dict[str, Any]], path: str = "/api/stream") -> None:
    """Collect the ``case`` events of a live stream into ``seen`` until cancelled."""
    async with client.stream("GET", path, timeout=None) as reply:
        assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/event-stream")
        async for line in reply.aiter_lines():
            if line.startswith("data: "):
                seen.append(json.loads(line[6:]))


async def test_summary_cases_and_stream_show_each_caller_what_they_may_see(services, producer, namespace):
    tokens = Tokens.make()
    (dashboard,) = services("dashboard", KEFU_DASHBOARD_TOKENS=tokens.env(), **FAST)
    cases = Cases(producer, namespace)
    eng = await cases.new("engineering", "滨江花园", "卫生间漏水")
    late = await cases.new("property", "翠湖天地", "电梯困人", kind="repair", respond_in=timedelta(minutes=1))
    members = [await cases.new("customer_service", "滨江花园", "外墙渗水", building="3幢") for _ in range(3)]
    await cases.escalate(members[0], "customer_service", "滨江花园", 3, "group_complaint", members, building="3幢")

    async with tokens.client(dashboard.url, "manager") as manager, \
            tokens.client(dashboard.url, "engineering") as engineer:
        def settled(r) -> bool:
            """Every case is in, and the group's later members took its level: the group event and the
            cases' own events arrive on different topics, so the group can be counted before its members moved."""
            body = r.json()
            levels = {row["department"]: row["levels"] for row in body["open_by_department"]}
            return (body["counts"]["by_status"] == {"assigned": 5} and body["counts"]["groups"] == 1
                    and levels.get("customer_service", {}).get("3") == 3)

        summary = (await eventually(lambda: manager.get("/api/summary"), settled,
                                    what="every case on the dashboard, the group's members at its level")).json()
        by_dept = {row["department"]: row for row in summary["open_by_department"]}
        # the group's members take its level (3), as in routing; only the lead was escalated
        assert by_dept["customer_service"]["levels"] == {"0": 0, "1": 0, "2": 0, "3": 3}
        assert by_dept["engineering"]["total"] == 1 and by_dept["property"]["levels"]["0"] == 1
        assert [c["_id"] for c in summary["overdue"]] == [late] and summary["overdue"][0]["overdue"] == ["respond"]
        (group,) = summary["groups"]
        assert group["lead_case_id"] == members[0] and sorted(m["case_id"] for m in group["members"]) == sorted(members)
        assert group["level"] == 3 and group["open"] == 3
        assert summary["projects"] == ["滨江花园", "翠湖天地"]

        only_project = (await manager.get("/api/cases", params={"project": "翠湖天地"})).json()
        assert [c["_id"] for c in only_project] == [late]
        assert "facts" not in only_project[0] and "applied" not in only_project[0]
        # a member's own document takes the group's level when the group's event reaches it, which can be
        # just after the summary (which reads the group) showed it: the list converges to the three cases
        l3 = (await eventually(lambda: manager.get("/api/cases", params={"level": 3, "status": "open"}),
                               lambda r: len(r.json()) == 3, what="the group's three cases at level 3")).json()
        assert sorted(c["_id"] for c in l3) == sorted(members), "the group's three cases"
        assert [c["_id"] for c in (await manager.get("/api/cases", params={"overdue": "true"})).json()] == [late]

        mine = (await engineer.get("/api/summary")).json()
        assert [row["department"] for row in mine["open_by_department"]] == ["engineering"]
        assert mine["groups"] == [] and mine["overdue"] == []
        assert [c["_id"] for c in (await engineer.get("/api/cases")).json()] == [eng]
        assert (await engineer.get("/api/cases", params={"department": "property"})).status_code == 403
        assert (await engineer.get(f"/api/cases/{late}")).status_code == 404
        assert (await engineer.get(f"/api/cases/{eng}")).json()["department"] == "engineering"
        assert (await engineer.get("/api/me")).json() == {"name": "engineering", "role": "department_staff",
                                                           "department": "engineering", "sees_all": False}
        async with httpx.AsyncClient(base_url=dashboard.url) as anonymous:
            assert (await anonymous.get("/api/summary")).status_code == 401
            assert (await anonymous.get("/api/stream")).status_code == 401
            assert (await anonymous.get("/")).status_code == 200, "the page itself asks for the token"

        month = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
        report = await manager.get("/api/report", params={"month": month, "format": "json"})
        assert report.status_code == 200 and report.json()["month"] == month, "the report is mounted on the store"
        assert (await manager.get("/api/report", params={"month": month, "format": "csv"})).status_code == 200
        assert (await engineer.get("/api/report", params={"month": month})).status_code == 403

        lag = (await eventually(lambda: engineer.get("/api/lag"),
                                lambda r: f"{namespace}.kefu-dashboard" in {g["group"] for g in r.json()["groups"]},
                                what="the dashboard's own consumer group in the lag panel")).json()
        assert {g["group"] for g in lag["groups"]} == {f"{namespace}.kefu-dashboard"}, "this namespace's groups only"
        assert lag["groups"][0]["status"] in {"OK", "WARN", "STALL", "STOP", "REWIND"}
        metrics = (await manager.get("/metrics")).text
        assert f'kefu_consumer_group_lag_messages{{group="{namespace}.kefu-dashboard"' in metrics

        seen_by_engineer: list[dict[str, Any]] = []
        seen_by_manager: list[dict[str, Any]] = []
        readers = [asyncio.create_task(read_stream(engineer, seen_by_engineer)),
                   asyncio.create_task(read_stream(manager, seen_by_manager, "/api/stream?project=翠湖天地"))]
        try:
            await eventually(lambda: asyncio.sleep(0, len(seen_by_engineer)), lambda n: n >= 1,
                             what="the engineer's stream starts with the recent entries")
            other = await cases.new("property", "翠湖天地", "门禁坏了", kind="repair")
            own = await cases.new("engineering", "滨江花园", "墙面开裂")
            await cases.escalate(own, "engineering", "滨江花园", 2, "repeat_complaint")
            await eventually(lambda: asyncio.sleep(0, [(e["case_id"], e["type"]) for e in seen_by_engineer]),
                             lambda got: (own, "new") in got and (own, "escalated") in got,
                             what="the engineer sees the new case and its escalation live")
            await eventually(lambda: asyncio.sleep(0, {e["case_id"] for e in seen_by_manager}),
                             lambda got: other in got, what="the manager's filtered stream")
        finally:
            for reader in readers:
                reader.cancel()
            await asyncio.gather(*readers, return_exceptions=True)
        assert {e["case"]["department"] for e in seen_by_engineer} == {"engineering"}
        assert other not in {e["case_id"] for e in seen_by_engineer}
        assert {e["case"]["project"] for e in seen_by_manager} == {"翠湖天地"}
        escalation = next(e for e in seen_by_engineer if e["type"] == "escalated")
        assert escalation["escalation"] == {"level": 2, "previous_level": 1, "reason": "repeat_complaint"}
        assert escalation["case"]["level"] == 2

    # A stopping instance ends its streams cleanly (the page reconnects elsewhere) instead of holding the shutdown.
    async with tokens.client(dashboard.url, "manager") as manager:
        last: list[dict[str, Any]] = []
        reader = asyncio.create_task(read_stream(manager, last))
        await eventually(lambda: asyncio.sleep(0, len(last)), lambda n: n >= 1, what="a stream open")
        assert await asyncio.to_thread(dashboard.stop) is not None
        await asyncio.wait_for(reader, timeout=30)  # raises if the server cut the response instead
