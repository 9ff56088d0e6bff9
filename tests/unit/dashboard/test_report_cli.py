"""``kefu report`` against a real HTTP server running the report's router (sources in memory)."""

from __future__ import annotations

import csv
import io
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest
import uvicorn
from fastapi import FastAPI, Header, HTTPException
from kefu_cli import report as cli
from kefu_kit.auth import Principal

from kefu_dashboard.report import charts
from kefu_dashboard.report.api import make_router
from test_report_build import AFTER, answer, november_cases, utc

TOKENS = {"t-manager": "cs_manager", "t-staff": "department_staff"}


def who(authorization: Annotated[str | None, Header()] = None) -> Principal:
    role = TOKENS.get((authorization or "").removeprefix("Bearer "))
    if role is None:
        raise HTTPException(401, "unknown token")
    return Principal("test", role, "engineering" if role == "department_staff" else None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    async def cases(start: Any, end: Any) -> list[dict[str, Any]]:
        return november_cases()

    async def answers(start: Any, end: Any) -> list[dict[str, Any]]:
        return [answer("a1", utc(2026, 11, 3), csat=5, nps=10)]

    app = FastAPI()
    app.include_router(make_router(cases, answers, who, clock=lambda: AFTER))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def run(url: str, *args: str, token: str | None = "t-manager") -> int:
    return cli.main(["--month", "2026-11", "--url", url, *(["--token", token] if token else []), *args])


def test_writes_the_html_page_by_default(url: str, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert run(url) == 0
    page = (tmp_path / "kefu-report-2026-11.html").read_text(encoding="utf-8")
    assert "投诉月报" in page and page.count("<svg") == len(charts.CHARTS)
    assert "wrote kefu-report-2026-11.html" in capsys.readouterr().err


def test_writes_csv_with_its_bom_and_every_chart(url: str, tmp_path: Path) -> None:
    out = tmp_path / "nov.csv"
    assert run(url, "--format", "csv", "--out", str(out), "--project", "翠湖苑", "--charts", str(tmp_path / "c")) == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert {(r["section"], r["name"]): r["value"] for r in rows}[("cases", "total")] == "1"
    assert rows[0]["project"] == "翠湖苑"
    for name in charts.CHARTS:
        assert (tmp_path / "c" / f"{name}.svg").read_bytes().lstrip().startswith(b"<?xml")
        assert (tmp_path / "c" / f"{name}.png").read_bytes().startswith(b"\x89PNG")


def test_json_to_standard_output(url: str, capsysbinary) -> None:
    assert run(url, "--format", "json", "--out", "-") == 0
    data = json.loads(capsysbinary.readouterr().out)
    assert data["month"] == "2026-11"


def test_the_cli_knows_every_chart_of_the_service() -> None:
    assert cli.CHART_NAMES == tuple(charts.CHARTS)


def test_a_bad_month_is_refused_before_asking_the_service(capsys) -> None:
    assert cli.main(["--month", "2026-13", "--token", "x", "--url", "http://127.0.0.1:9"]) == 2
    assert "YYYY-MM" in capsys.readouterr().err


def test_no_token_says_where_to_get_one(url: str, monkeypatch, capsys) -> None:
    monkeypatch.delenv("KEFU_DASHBOARD_TOKEN", raising=False)
    assert run(url, token=None) == 2
    assert "KEFU_DASHBOARD_TOKEN" in capsys.readouterr().err


def test_the_token_may_come_from_the_environment(url: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("KEFU_DASHBOARD_TOKEN", "t-manager")
    assert cli.main(["--month", "2026-11", "--url", url, "--out", str(tmp_path / "r.html")]) == 0


def test_unknown_token_and_wrong_role_are_explained(url: str, tmp_path: Path, capsys) -> None:
    assert run(url, "--out", str(tmp_path / "x.html"), token="nope") == 1
    assert "401" in capsys.readouterr().err
    assert run(url, "--out", str(tmp_path / "x.html"), token="t-staff") == 1
    err = capsys.readouterr().err
    assert "403" in err and "customer service center" in err
    assert not (tmp_path / "x.html").exists()


def test_a_service_that_is_down_is_explained(capsys) -> None:
    assert run(f"http://127.0.0.1:{free_port()}") == 1
    assert "cannot reach the dashboard service" in capsys.readouterr().err


def test_the_weekly_report_as_csv_with_its_default_name(url: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(["--week", "2026-W45", "--url", url, "--token", "t-manager", "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO((tmp_path / "kefu-weekly-2026-W45.csv").read_text(encoding="utf-8-sig"))))
    assert rows[0][0] == "week" and rows[1][0] == "2026-W45"


def test_the_cli_knows_every_quality_chart_of_the_service() -> None:
    from kefu_dashboard.report import quality_charts
    assert cli.QUALITY_CHART_NAMES == tuple(quality_charts.CHARTS)


@pytest.mark.parametrize("args,says", [
    (["--week", "2026-W54"], "W01 to W53"), (["--week", "2026-48"], "YYYY-Www"),
    (["--quality", "--from", "2026-11-01"], "--to"), (["--quality", "--from", "2026-11-31", "--to", "2026-12-01"],
                                                     "YYYY-MM-DD"),
    (["--quality", "--from", "2026-12-01", "--to", "2026-11-01"], "before"),
    (["--month", "2026-11", "--from", "2026-11-01"], "--quality")])
def test_bad_weeks_and_dates_are_refused_before_asking_the_service(args: list[str], says: str, capsys) -> None:
    assert cli.main([*args, "--token", "x", "--url", "http://127.0.0.1:9"]) == 2
    assert says in capsys.readouterr().err


def test_month_week_and_quality_exclude_each_other() -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["--month", "2026-11", "--week", "2026-W45", "--token", "x"])
    assert exc.value.code == 2
