"""``kefu report``: the monthly (投诉月报), weekly (周报) and quality (质检报告) reports, from the dashboard service.

    kefu report --month 2026-11                                writes kefu-report-2026-11.html
    kefu report --week 2026-W48 --format csv                   writes kefu-weekly-2026-W48.csv
    kefu report --quality --from 2026-11-01 --to 2026-11-30    writes kefu-quality-2026-11-01-2026-11-30.html
    kefu report --month 2026-11 --project 滨江花园              writes kefu-report-2026-11-滨江花园.html
    kefu report --month 2026-11 --project 滨江花园 --format csv --out nov.csv
    kefu report --month 2026-11 --charts charts/               also each chart as SVG and PNG
    kefu report --month 2026-11 --format json --out -          JSON on standard output

The token is a customer service center role's (complaint specialist, CS manager, general
manager): ``--token`` or ``$KEFU_DASHBOARD_TOKEN``. The HTML page is self-contained (charts
inline); the CSV is UTF-8 with a BOM, for Excel. Exit code: 0 written, 1 the service refused or
failed (down, 401, 403, 5xx), 2 bad arguments (a month that is not YYYY-MM, a week that is not
an ISO week YYYY-Www, dates that are not YYYY-MM-DD or end before they start, no token).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import httpx
from kefu_dashboard.report.dates import DateRange, DateRangeError
from kefu_dashboard.report.months import Month, MonthError
from kefu_dashboard.report.weeks import Week, WeekError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEFAULT_URL = "http://127.0.0.1:8106"
CHART_NAMES = ("targets", "kind", "category", "level", "department")  # kefu_dashboard.report.charts.CHARTS
QUALITY_CHART_NAMES = ("rates", "cost")  # kefu_dashboard.report.quality_charts.CHARTS


class Failed(Exception):
    """The service could not give the report; the message says why and what to do."""


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="kefu report", description="The monthly complaint report (投诉月报), the "
                                "weekly report (周报) or the repair quality report (质检报告).")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--month", help="YYYY-MM, a calendar month in Asia/Shanghai: the monthly report")
    which.add_argument("--week", help="YYYY-Www, an ISO week in Asia/Shanghai: the weekly report")
    which.add_argument("--quality", action="store_true", help="the quality report of --from to --to")
    p.add_argument("--from", dest="first", metavar="YYYY-MM-DD", help="with --quality: the first day")
    p.add_argument("--to", dest="last", metavar="YYYY-MM-DD", help="with --quality: the last day (included)")
    p.add_argument("--project", help="only this project's cases and answers")
    p.add_argument("--format", choices=("html", "csv", "json"), default="html", help="default: html")
    p.add_argument("--out", help="file to write (default kefu-report-YYYY-MM[-PROJECT].<format>, "
                                 "kefu-weekly-YYYY-Www[-PROJECT].<format>, kefu-quality-FROM-TO[-PROJECT].<format>; "
                                 "'-' for standard output)")
    p.add_argument("--charts", type=Path, metavar="DIR", help="also write every chart as DIR/<name>.svg and .png")
    p.add_argument("--url", default=os.environ.get("KEFU_DASHBOARD_URL", DEFAULT_URL),
                   help=f"the dashboard service (default: $KEFU_DASHBOARD_URL or {DEFAULT_URL})")
    p.add_argument("--token", default=os.environ.get("KEFU_DASHBOARD_TOKEN"),
                   help="bearer token of a center role (default: $KEFU_DASHBOARD_TOKEN)")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the service (default 60)")
    return p.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        path, params, stem, chart_names = _what(args)
    except (MonthError, WeekError, DateRangeError) as exc:
        print(f"kefu report: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not args.token:
        print("kefu report: no token: pass --token or set KEFU_DASHBOARD_TOKEN "
              "(a complaint_specialist, cs_manager or cs_general_manager token; `kefu token` makes one)",
              file=sys.stderr)
        return EXIT_USAGE
    params = {**params, **({"project": args.project} if args.project else {})}
    try:
        with httpx.Client(base_url=args.url, headers={"Authorization": f"Bearer {args.token}"},
                          timeout=args.timeout) as client:
            body = _get(client, path, {**params, "format": args.format}).content
            name = stem + (f"-{args.project}" if args.project else "") + f".{args.format}"
            out = _write(args.out or name, _pretty(body) if args.format == "json" else body)
            written = [out]
            if args.charts:
                args.charts.mkdir(parents=True, exist_ok=True)
                for name in chart_names:
                    for ext in ("svg", "png"):
                        chart = args.charts / f"{name}.{ext}"
                        chart.write_bytes(_get(client, f"{path}/chart/{name}.{ext}", params).content)
                        written.append(str(chart))
    except Failed as exc:
        print(f"kefu report: {exc}", file=sys.stderr)
        return EXIT_FAILED
    for path in written:
        if path != "-":
            print(f"wrote {path}", file=sys.stderr)
    return EXIT_OK


def _what(args: argparse.Namespace) -> tuple[str, dict[str, str], str, tuple[str, ...]]:
    """(route, query, default file stem, chart names) of the report asked for; raises on a bad period."""
    if not args.quality and (args.first or args.last):
        raise DateRangeError("--from and --to go with --quality")
    if args.quality:
        if not (args.first and args.last):
            raise DateRangeError("--quality needs --from YYYY-MM-DD and --to YYYY-MM-DD")
        period = DateRange.parse(args.first, args.last)
        first, last = period.first.isoformat(), period.last.isoformat()
        return "/api/report/quality", {"from": first, "to": last}, f"kefu-quality-{first}-{last}", QUALITY_CHART_NAMES
    if args.week is not None:
        week = Week.parse(args.week)
        return "/api/report", {"week": str(week)}, f"kefu-weekly-{week}", CHART_NAMES
    month = Month.parse(args.month)
    return "/api/report", {"month": str(month)}, f"kefu-report-{month}", CHART_NAMES


def _get(client: httpx.Client, path: str, params: dict[str, str]) -> httpx.Response:
    try:
        r = client.get(path, params=params)
    except httpx.ConnectError as exc:
        raise Failed(f"cannot reach the dashboard service at {client.base_url} ({exc}); is it running? "
                     "(`make up`, or --url / $KEFU_DASHBOARD_URL)") from exc
    except httpx.TimeoutException as exc:
        raise Failed(f"the dashboard service at {client.base_url} did not answer in time ({exc!r})") from exc
    if r.status_code == 200:
        return r
    detail = _detail(r)
    if r.status_code == 401:
        raise Failed(f"the dashboard does not know this token (401: {detail}); check --token / $KEFU_DASHBOARD_TOKEN")
    if r.status_code == 403:
        raise Failed(f"this token may not read the report (403: {detail})")
    if r.status_code == 404:
        raise Failed(f"the service at {client.base_url} has no report (404 on {r.request.url.path}): "
                     "is --url the dashboard service?")
    raise Failed(f"the dashboard answered {r.status_code}: {detail}")


def _detail(r: httpx.Response) -> str:
    try:
        detail = r.json().get("detail", r.text)
    except (ValueError, AttributeError):
        detail = r.text
    return detail if isinstance(detail, str) else json.dumps(detail, ensure_ascii=False)


def _pretty(body: bytes) -> bytes:
    return (json.dumps(json.loads(body), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _write(out: str, body: bytes) -> str:
    if out == "-":
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
    else:
        Path(out).write_bytes(body)
    return out
