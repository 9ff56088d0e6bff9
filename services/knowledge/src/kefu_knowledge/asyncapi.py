"""The knowledge service's AsyncAPI document: `faststream docs gen kefu_knowledge.asyncapi:app` (see `make asyncapi`)."""

from faststream import FastStream
from faststream.specification import AsyncAPI

from .app import create_app

_broker = create_app().state.kit.broker
app = FastStream(_broker, specification=AsyncAPI(_broker, title="kefu knowledge", version="1.0.0"))
