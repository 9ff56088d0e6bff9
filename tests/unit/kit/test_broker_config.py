"""The delivery guarantees are settings; pin them, since FastStream's defaults are at-most-once."""

from faststream import AckPolicy
from kefu_intake.app import create_app
from kefu_kit import subscriber_options
from kefu_intake.settings import Settings


def test_producer_is_idempotent_with_acks_all_and_consumers_ack_after_effects() -> None:
    broker = create_app(Settings()).state.kit.broker
    producer_args = broker._connection_kwargs  # noqa: SLF001 - what aiokafka's producer is built with
    assert producer_args["enable_idempotence"] is True
    assert producer_args["acks"] == "all"
    assert broker.config.broker_config.ack_policy is AckPolicy.NACK_ON_ERROR


def test_every_subscriber_joins_the_service_group_from_the_earliest_offset() -> None:
    options = subscriber_options(Settings())
    assert options == {"group_id": "kefu-intake", "auto_offset_reset": "earliest"}


def test_every_service_measures_its_handlers_with_prometheus_and_opentelemetry() -> None:
    from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
    from faststream.kafka.prometheus import KafkaPrometheusMiddleware

    for name in ("intake", "routing", "notifications", "surveys", "membership"):
        app_module = __import__(f"kefu_{name}.app", fromlist=["create_app"])
        settings_module = __import__(f"kefu_{name}.settings", fromlist=["Settings"])
        broker = app_module.create_app(settings_module.Settings()).state.kit.broker
        kinds = {type(m) for m in broker.middlewares}
        assert KafkaPrometheusMiddleware in kinds and KafkaTelemetryMiddleware in kinds, name
