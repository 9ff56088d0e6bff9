"""Every service's /metrics: FastStream's Prometheus and OpenTelemetry middlewares, per handler, on real traffic."""

from __future__ import annotations

import httpx
import pytest
from kefu_contracts import Topics
from prometheus_client.parser import text_string_to_metric_families

from support.kafka_io import call_payload, send_json
from support.waiting import eventually

pytestmark = pytest.mark.e2e


async def scrape(url: str) -> dict[str, list]:
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        reply = await client.get("/metrics")
    assert reply.status_code == 200
    return {f.name: f.samples for f in text_string_to_metric_families(reply.text)}


async def test_metrics_count_messages_latency_and_errors_per_handler(services, producer, namespace):
    (intake,) = services("intake")
    topic = Topics(namespace)("call.received")
    for i in range(3):
        await send_json(producer, topic, call_payload(i))
    await send_json(producer, topic, b"not json at all")

    def received(families: dict[str, list]) -> float:
        return sum(s.value for s in families.get("faststream_received_messages", [])
                   if s.name.endswith("_total") and s.labels.get("handler") == topic)

    families = await eventually(lambda: scrape(intake.url), lambda f: received(f) >= 4, what="4 messages counted")
    # /metrics is open without a token: it may carry counts and states only, never who called.
    async with httpx.AsyncClient(base_url=intake.url, timeout=10) as client:
        text = (await client.get("/metrics")).text
    for i in range(3):
        assert f"139{i:08d}" not in text and f"业主{i}" not in text
    # FastStream's Prometheus middleware: per handler (destination), with a processing-time histogram.
    assert any(s.labels.get("handler") == topic and s.labels.get("app_name") == "kefu-intake"
               for s in families["faststream_received_processed_messages_duration_seconds"])
    # OpenTelemetry middleware, exported to the same registry: messages and a process-duration histogram
    # per destination, in seconds with buckets made for seconds.
    processed = [s for s in families["messaging_process_messages_message"]
                 if s.labels.get("messaging_destination_publish_name") == topic and s.name.endswith("_total")]
    assert sum(s.value for s in processed) >= 4
    buckets = [float(s.labels["le"]) for s in families["messaging_process_duration_seconds"]
               if s.name.endswith("_bucket") and s.labels.get("messaging_destination_publish_name") == topic
               and s.labels["le"] != "+Inf"]
    assert min(buckets) < 0.01 and max(buckets) <= 60
    # The bad message was dead-lettered, and the kit counts it.
    dead = [s for s in families["kefu_dead_lettered_messages"] if s.name.endswith("_total")]
    assert sum(s.value for s in dead if s.labels["topic"] == topic) == 1


async def test_a_running_service_counts_its_http_requests_and_reports_its_dependencies(services):
    """Under uvicorn, not a test client: route templates, status classes, and the health loop's gauge."""
    (surveys,) = services("surveys")
    async with httpx.AsyncClient(base_url=surveys.url, timeout=10) as client:
        assert (await client.get("/health")).status_code == 200
        assert (await client.get("/no/such/path/C123")).status_code == 404
    families = await scrape(surveys.url)
    requests = {(s.labels["route"], s.labels["status"]): s.value for s in families["kefu_http_requests"]
                if s.name.endswith("_total") and s.labels["service"] == "surveys"}
    assert requests[("/health", "2xx")] >= 1
    assert requests[("unmatched", "4xx")] >= 1
    assert not any("C123" in route for route, _status in requests)
    up = {s.labels["dependency"]: s.value for s in families["kefu_dependency_up"] if s.labels["service"] == "surveys"}
    assert up == {"kafka": 1.0, "mongo": 1.0}
