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
