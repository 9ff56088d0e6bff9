"""OpenTelemetry for every service: FastStream's telemetry middleware, metrics on ``/metrics``.

FastStream's ``KafkaTelemetryMiddleware`` measures each handler (messages,
durations, errors) with OpenTelemetry semantic conventions and carries the trace
context across Kafka in message headers, so a call and everything it caused
share one trace id. Its metrics are exported to the service's own Prometheus
registry, beside FastStream's Prometheus middleware, so one scrape sees both.
Spans are recorded by the SDK; an OTLP exporter can be added where a collector
runs (not on these machines).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

# The SDK's default histogram buckets (0, 5, 10, ... 10000) suit milliseconds; these durations are seconds.
SECONDS_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


def telemetry_middleware(service: str, registry: "CollectorRegistry") -> KafkaTelemetryMiddleware:
    """The middleware with providers of this service alone (no global state: tests run several kits)."""
    resource = Resource.create({"service.name": f"kefu-{service}", "service.namespace": "kefu"})
    reader = PrometheusMetricReader(registry=registry)
    return KafkaTelemetryMiddleware(
        tracer_provider=TracerProvider(resource=resource),
        meter_provider=MeterProvider(resource=resource, metric_readers=[reader], views=[
            View(instrument_name="messaging.*.duration",
                 aggregation=ExplicitBucketHistogramAggregation(SECONDS_BUCKETS)),
        ]),
    )
