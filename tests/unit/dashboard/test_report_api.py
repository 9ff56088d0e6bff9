"""The report's HTTP routes: roles, formats, charts, a bad month (sources are in memory)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import pytest
from fastapi import FastAPI, Header, HTTPException
from kefu_kit.auth import Principal

from kefu_dashboard.report.api import make_router
from test_report_build import AFTER, answer, november_cases, utc

CALLS: list[tuple[str, datetime, datetime]] = []


def who(authorization: Annotated[str | None, Header()] = None) -> Principal:
    """Test tokens: 'Bearer <role>[:<department>]'."""
    if not authorization:
        raise HTTPException(401, "missing bearer token")
    role, _, department = authorization.removeprefix("Bearer ").partition(":")
    return Principal("test", role, department or None)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async def cases(start: datetime, end: datetime) -> list[dict[str, Any]]:
        CALLS.append(("cases", start, end))
        return november_cases()

    async def answers(start: datetime, end: datetime) -> list[dict[str, Any]]:
        CALLS.append(("answers", start, end))
        return [answer("a1", utc(2026, 11, 3), csat=5, nps=10), answer("a2", utc(2026, 11, 4), csat=3, nps=6)]

    app = FastAPI()
    app.include_router(make_router(cases, answers, who, clock=lambda: AFTER))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://dashboard") as c:
        yield c


MANAGER = {"Authorization": "Bearer cs_manager"}


@pytest.mark.parametrize("role", ["complaint_specialist", "cs_manager", "cs_general_manager"])
async def test_the_center_roles_read_the_report(client: httpx.AsyncClient, role: str) -> None:
    r = await client.get("/api/report", params={"month": "2026-11"}, headers={"Authorization": f"Bearer {role}"})
    assert r.status_code == 200, r.text


async def test_department_staff_are_refused_and_strangers_must_authenticate(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/report", params={"month": "2026-11"},
                   headers={"Authorization": "Bearer department_staff:engineering"})
    assert r.status_code == 403
    assert "customer service center" in r.json()["detail"]
    assert (await client.get("/api/report", params={"month": "2026-11"})).status_code == 401
    r = await client.get("/api/report/chart/kind.svg", params={"month": "2026-11"},
                   headers={"Authorization": "Bearer department_staff:engineering"})
    assert r.status_code == 403


@pytest.mark.parametrize("month", ["2026-13", "11-2026", "2026-1"])
async def test_a_bad_month_is_a_422_that_says_what_is_expected(client: httpx.AsyncClient, month: str) -> None:
    r = await client.get("/api/report", params={"month": month}, headers=MANAGER)
    assert r.status_code == 422
    assert "YYYY-MM" in r.json()["detail"]
    assert (await client.get("/api/report/chart/kind.png", params={"month": month}, headers=MANAGER)).status_code == 422


async def test_json_is_the_default_and_reads_the_two_months_window(client: httpx.AsyncClient) -> None:
    CALLS.clear()
    r = await client.get("/api/report", params={"month": "2026-11"}, headers=MANAGER)
    data = r.json()
    assert data["month"] == "2026-11" and data["previous_month"] == "2026-10" and data["project"] is None
    figures = {(f["section"], f["name"]): f for f in data["figures"]}
    assert figures[("cases", "total")]["value"] == 9
    assert figures[("quality", "satisfaction_rate")]["value"] == 0.5
    assert figures[("quality", "nps")]["value"] == 0
    # 1 October 00:00 to 1 December 00:00 in Shanghai
    assert {(start, end) for _, start, end in CALLS} == {(utc(2026, 9, 30, 16), utc(2026, 11, 30, 16))}


async def test_an_empty_project_parameter_means_all_projects(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/report", params={"month": "2026-11", "project": ""}, headers=MANAGER)
    assert r.json()["project"] is None
    r = await client.get("/api/report", params={"month": "2026-11", "project": "翠湖苑"}, headers=MANAGER)
    figures = {(f["section"], f["name"]): f for f in r.json()["figures"]}
    assert figures[("cases", "total")]["value"] == 1


async def test_csv_download(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/report", params={"month": "2026-11", "format": "csv"}, headers=MANAGER)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == 'attachment; filename="kefu-report-2026-11.csv"'
    r2 = await client.get("/api/report", params={"month": "2026-11", "format": "csv", "project": "翠湖苑"},
                          headers=MANAGER)
    assert r2.headers["content-disposition"] == ('attachment; filename="kefu-report-2026-11.csv"; '
                                                 "filename*=UTF-8''kefu-report-2026-11-%E7%BF%A0%E6%B9%96%E8%8B%91.csv")
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert {r["name"]: r["value"] for r in rows if r["section"] == "quality"}["satisfaction_rate"] == "50.0"


async def test_html_page_with_inline_charts(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/report", params={"month": "2026-11", "format": "html"}, headers=MANAGER)
    assert r.headers["content-type"].startswith("text/html")
    assert "投诉月报" in r.text and r.text.count("<svg") == 5


async def test_an_unknown_format_is_a_422(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/report", params={"month": "2026-11", "format": "xlsx"}, headers=MANAGER)
    assert r.status_code == 422


async def test_charts_as_svg_and_png(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/report/chart/category.svg", params={"month": "2026-11"}, headers=MANAGER)
    assert r.status_code == 200 and r.headers["content-type"] == "image/svg+xml" and b"<svg" in r.content
    r = await client.get("/api/report/chart/targets.png", params={"month": "2026-11"}, headers=MANAGER)
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.content.startswith(b"\x89PNG")
    for bad in ("pie.svg", "kind.gif", "kind"):
        r = await client.get(f"/api/report/chart/{bad}", params={"month": "2026-11"}, headers=MANAGER)
        assert r.status_code == 404, bad
