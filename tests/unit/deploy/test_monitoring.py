"""deploy/monitoring, checked offline: the alert rules with promtool, the dashboard as JSON, and every metric
name they use against what the services really export.

``promtool`` comes from Debian's ``prometheus`` package (``scripts/install-promtool.sh``, which ``make test``
runs); without it these tests fail and say so rather than pass unchecked. The exported names are collected
from the real registries: each service's app is built in-process (nothing is connected) and its registry
listed; the dashboard's lag collector, which exposes nothing before its first sample, is given a report
built the way a sample builds one.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from kefu_kit.lag import LagMonitor, Observation, PartitionKey, Thresholds, advance, build_report
from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import Metric

REPO = Path(__file__).resolve().parents[3]
MONITORING = REPO / "deploy" / "monitoring"
RULES = MONITORING / "alerts.yml"
RULE_TESTS = MONITORING / "alerts.test.yml"
DASHBOARD = MONITORING / "grafana-dashboard.json"
SERVICES = sorted(p.name for p in (REPO / "services").iterdir() if (p / "pyproject.toml").exists())
SEVERITIES = {"critical", "warning"}

# Grafana's variables, replaced by values PromQL accepts before an expression is checked or parsed.
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h", "$group": ".*", "$service": ".*"}


@functools.cache
def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool is missing: run scripts/install-promtool.sh (installs Debian's prometheus package, "
                    "which carries promtool), then run these tests again")
    return path


def run_promtool(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool(), *args], capture_output=True, text=True, timeout=120, cwd=cwd)


@functools.cache
def rule_file() -> dict[str, Any]:
    return yaml.safe_load(RULES.read_text(encoding="utf-8"))


def alerts() -> list[dict[str, Any]]:
    return [rule for group in rule_file()["groups"] for rule in group["rules"] if "alert" in rule]


@functools.cache
def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text(encoding="utf-8"))


def dashboard_panels() -> list[dict[str, Any]]:
    return [p for p in dashboard()["panels"] if p["type"] != "row"]


def dashboard_expressions() -> list[tuple[str, str]]:
    """(where, expression) for every query of the dashboard: panel targets and query variables."""
    exprs = [(f"panel {p['title']!r} {t['refId']}", t["expr"]) for p in dashboard_panels() for t in p["targets"]]
    for var in dashboard()["templating"]["list"]:
        if var["type"] == "query":
            exprs.append((f"variable {var['name']}", var["query"]["query"]))
    return exprs


def as_promql(expr: str) -> str:
    for name, value in sorted(GRAFANA_VARIABLES.items(), key=lambda kv: -len(kv[0])):
        expr = expr.replace(name, value)
    # label_values(metric, label) is Grafana's, not PromQL: what it reads is the metric selector.
    return re.sub(r"^label_values\((.+),\s*\w+\)$", r"\1", expr.strip())


# --- metric names in PromQL ---------------------------------------------------------------------------

KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset",
            "inf", "nan"}


def metric_names(expr: str) -> set[str]:
    """The metric names an expression selects: identifiers that are not functions, keywords, labels or durations.

    Strings, label matchers (``{...}``), ranges (``[5m]``) and grouping lists (``by (group)``) are removed first,
    so what remains of an identifier is a metric name or a function (followed by ``(``) or a keyword.
    """
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', '""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"(?<![\w.:])[A-Za-z_:][\w:]*", text):
        word = match.group(0)
        if word.lower() in KEYWORDS or re.match(r"\s*\(", text[match.end():]):
            continue
        names.add(word)
    return names


def test_metric_names_finds_the_selected_metrics_and_nothing_else() -> None:
    expr = ('sum by (topic, reason) (increase(kefu_dead_lettered_messages_total{topic=~"a.b", x="sum(y)"}[15m])) > 0'
            ' or sum by (channel) (failed_total unless on (channel) failed_total offset 15m)'
            ' and time() - max(kefu_lag_report_timestamp_seconds) > 1.5e3 and :recorded:rule')
    assert metric_names(expr) == {"kefu_dead_lettered_messages_total", "failed_total",
                                  "kefu_lag_report_timestamp_seconds", ":recorded:rule"}


# --- what the services export --------------------------------------------------------------------------

SUFFIXES = {"counter": ("_total", "_created"), "gauge": ("",), "histogram": ("_bucket", "_count", "_sum", "_created"),
            "summary": ("", "_count", "_sum", "_created"), "info": ("_info",), "stateset": ("",),
            "gaugehistogram": ("_bucket", "_gcount", "_gsum"), "unknown": ("",)}


def series_names(family: Metric) -> set[str]:
    """The names a family's samples get in the exposition, whether or not it has samples yet."""
    return {family.name + suffix for suffix in SUFFIXES[family.type]} | {s.name for s in family.samples}


def sampled_report() -> Any:
    """A lag report as ``LagMonitor.sample`` builds it: one lagging partition with a commit, one without."""
    now = 1_000.0
    windows = advance({}, {
        PartitionKey("kefu-routing", "case.opened", 0): Observation(now, 10, 15, 5, 42.5, now - 30),
        PartitionKey("kefu-routing", "case.opened", 1): Observation(now, None, 0, 0, 0.0, None),
    }, size=3)
    return build_report(windows, Thresholds(), now)


class SampledLagMonitor(LagMonitor):
    """The dashboard's monitor with a report already taken (its collector exposes nothing before one)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.report = sampled_report()


@functools.cache
def registries() -> dict[str, CollectorRegistry]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
    found = {}
    with mock.patch.dict(os.environ, env, clear=True), mock.patch("kefu_dashboard.app.LagMonitor", SampledLagMonitor):
        for service in SERVICES:
            found[service] = importlib.import_module(f"kefu_{service}.app").create_app().state.kit.registry
    return found


@functools.cache
def exported_by_service() -> dict[str, frozenset[str]]:
    return {service: frozenset(n for family in registry.collect() for n in series_names(family))
            for service, registry in registries().items()}


# Labels Prometheus adds to every series it scrapes.
TARGET_LABELS = frozenset({"instance", "job"})


@functools.cache
def label_names() -> dict[str, frozenset[str]]:
    """Series name -> the labels it can carry: a metric object's declared label names (prometheus_client keeps
    them as ``_labelnames``; it has no public accessor, and a labelled metric has no samples to read them from
    before its first use), else the labels of the collector's samples."""
    labels: dict[str, set[str]] = {}
    for registry in registries().values():
        for collector in list(registry._collector_to_names):  # noqa: SLF001 (see the docstring)
            declared = getattr(collector, "_labelnames", None)
            for family in collector.collect():
                for name in series_names(family):
                    known = labels.setdefault(name, set(TARGET_LABELS))
                    known.update(declared or ())
                    known.update(k for s in family.samples for k in s.labels)
                    if family.type == "histogram" and name.endswith("_bucket"):
                        known.add("le")
    return {name: frozenset(v) for name, v in labels.items()}


def unknown_labels(expr: str) -> set[str]:
    """``metric:label`` for each label a selector matches on that the metric does not carry (a typo there
    silently matches everything with ``!=`` or nothing with ``=``)."""
    wrong = set()
    for name, matchers in re.findall(r"([A-Za-z_:][\w:]*)\s*\{([^}]*)\}", as_promql(expr)):
        for label in re.findall(r"(\w+)\s*(?:=~|!~|!=|=)\s*\"", matchers):
            if label not in label_names().get(name, frozenset()):
                wrong.add(f"{name}:{label}")
    return wrong


def exported() -> frozenset[str]:
    return frozenset().union(*exported_by_service().values())


def test_the_collected_names_include_the_lag_gauges_and_each_services_own_metrics() -> None:
    """Guards the collection itself: an empty or partial list would let wrong names through."""
    by_service = exported_by_service()
    assert {"kefu_consumer_group_status", "kefu_consumer_group_lag_seconds",
            "kefu_lag_report_timestamp_seconds"} <= by_service["dashboard"]
    assert "kefu_notifications_failed_total" in by_service["notifications"]
    assert "kefu_batch_records_bucket" in by_service["intake"]
    for service in SERVICES:
        assert {"kefu_http_requests_total", "kefu_dependency_up", "kefu_dead_lettered_messages_total",
                "faststream_received_processed_messages_total"} <= by_service[service], service


def unknown_names(expr: str) -> set[str]:
    return metric_names(as_promql(expr)) - exported()


def test_a_name_nothing_exports_is_caught() -> None:
    assert unknown_names("sum(rate(kefu_dead_letters_total[5m])) > 0") == {"kefu_dead_letters_total"}
    assert unknown_names("max by (group) (kefu_consumer_group_status)") == set()


def test_a_label_a_metric_does_not_carry_is_caught() -> None:
    assert unknown_labels('rate(kefu_http_requests_total{code="500", route!="/health"}[5m])') == {
        "kefu_http_requests_total:code"}
    assert unknown_labels('kefu_consumer_group_status{status="STOP", group=~"$group", instance="a"}') == set()
    assert unknown_labels('rate(kefu_batch_seconds_bucket{le="1", topic="x"}[5m])') == set()


@pytest.mark.parametrize("alert", [a["alert"] for a in alerts()])
def test_every_metric_in_an_alert_is_exported(alert: str) -> None:
    (rule,) = [a for a in alerts() if a["alert"] == alert]
    assert metric_names(rule["expr"]), "an alert on no metric"
    assert unknown_names(rule["expr"]) == set(), f"{alert} uses metrics no service exports"
    assert unknown_labels(rule["expr"]) == set(), f"{alert} matches on labels its metrics do not carry"


@pytest.mark.parametrize(("where", "expr"), dashboard_expressions())
def test_every_metric_in_the_dashboard_is_exported(where: str, expr: str) -> None:
    assert metric_names(as_promql(expr)), f"{where}: a query of no metric"
    assert unknown_names(expr) == set(), f"{where} uses metrics no service exports"
    assert unknown_labels(expr) == set(), f"{where} matches on labels its metrics do not carry"


# --- the rules -----------------------------------------------------------------------------------------


def test_promtool_accepts_the_rules() -> None:
    result = run_promtool("check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_says_how_bad_how_long_and_what_to_do() -> None:
    names = [a["alert"] for a in alerts()]
    assert len(names) == len(set(names)), "alert names repeat"
    for rule in alerts():
        assert rule["labels"]["severity"] in SEVERITIES, rule["alert"]
        assert re.fullmatch(r"\d+[smh]", str(rule.get("for", ""))), f"{rule['alert']}: no for:"
        assert rule["annotations"]["summary"].strip() and len(rule["annotations"]["description"]) > 80, rule["alert"]


def test_the_issue_s_conditions_each_have_an_alert() -> None:
    by_metric = {name for rule in alerts() for name in metric_names(rule["expr"])}
    assert {"kefu_consumer_group_status", "kefu_consumer_group_lag_seconds", "kefu_dead_lettered_messages_total",
            "kefu_http_requests_total", "kefu_dependency_up", "kefu_notifications_failed_total"} <= by_metric
    statuses = {s for rule in alerts() for s in re.findall(r'kefu_consumer_group_status\{status="(\w+)"\}', rule["expr"])}
    assert {"STOP", "STALL"} <= statuses


def test_every_service_is_watched_for_absence() -> None:
    (rule,) = [a for a in alerts() if a["alert"] == "KefuServiceNotScraped"]
    assert sorted(re.findall(r'absent\(kefu_dependency_up\{service="(\w+)"\}\)', rule["expr"])) == SERVICES


def test_the_scenarios_name_every_alert_healthy_and_make_each_fire() -> None:
    scenarios = yaml.safe_load(RULE_TESTS.read_text(encoding="utf-8"))["tests"]
    names = {a["alert"] for a in alerts()}
    (healthy,) = [t for t in scenarios if t["name"] == "healthy series fire nothing"]
    assert {c["alertname"] for c in healthy["alert_rule_test"] if not c["exp_alerts"]} == names
    fired = {c["alertname"] for t in scenarios for c in t["alert_rule_test"] if c["exp_alerts"]}
    assert fired == names, f"never shown to fire: {sorted(names - fired)}"


def test_the_alert_scenarios_pass_under_promtool(tmp_path: Path) -> None:
    """``promtool test rules`` compares annotations too; the scenarios pin labels and timing, so they run
    against a copy of the rules without annotations (whose templates ``promtool check rules`` has parsed)."""
    rules = rule_file()
    for group in rules["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations", None)
    (tmp_path / "alerts.yml").write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    shutil.copy(RULE_TESTS, tmp_path / RULE_TESTS.name)
    result = run_promtool("test", "rules", RULE_TESTS.name, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout + result.stderr


# --- the dashboard -------------------------------------------------------------------------------------


def test_the_dashboard_s_queries_are_valid_promql(tmp_path: Path) -> None:
    """promtool parses each query (Grafana's variables replaced by values) as a recording rule."""
    rules = [{"record": f"kefu:dashboard_query_{i}", "expr": as_promql(expr)}
             for i, (_where, expr) in enumerate(dashboard_expressions())]
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}), encoding="utf-8")
    result = run_promtool("check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_dashboard_is_well_formed_for_grafana() -> None:
    d = dashboard()
    assert d["uid"] and d["title"] and isinstance(d["schemaVersion"], int)
    variables = {v["name"]: v for v in d["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    ids = [p["id"] for p in d["panels"]]
    assert len(ids) == len(set(ids)), "panel ids repeat"
    boxes = []
    for p in d["panels"]:
        g = p["gridPos"]
        assert 0 <= g["x"] and g["w"] > 0 and g["x"] + g["w"] <= 24 and g["h"] > 0, p["title"]
        boxes.append((g["x"], g["y"], g["x"] + g["w"], g["y"] + g["h"], p["title"]))
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], f"{a[4]!r} overlaps {b[4]!r}"
    for p in dashboard_panels():
        assert p["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, p["title"]
        refs = [t["refId"] for t in p["targets"]]
        assert refs and len(refs) == len(set(refs)), p["title"]
        for t in p["targets"]:
            used = set(re.findall(r"\$(\w+)", t["expr"])) - {"__rate_interval", "__interval", "__range"}
            assert used <= set(variables), f"{p['title']}: unknown variables {used - set(variables)}"


def test_the_dashboard_shows_what_the_issue_asks_for() -> None:
    shown = {name for _where, expr in dashboard_expressions() for name in metric_names(as_promql(expr))}
    assert {"kefu_consumer_group_lag_seconds", "kefu_consumer_group_lag_messages", "kefu_consumer_group_status",
            "kefu_dead_lettered_messages_total", "kefu_http_requests_total", "kefu_dependency_up",
            "kefu_notifications_failed_total", "kefu_batch_records_bucket", "kefu_batch_seconds_bucket"} <= shown
    assert any('status="5xx"' in expr for _where, expr in dashboard_expressions())
