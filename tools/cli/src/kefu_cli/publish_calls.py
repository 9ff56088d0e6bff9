"""``kefu-publish-calls``: a channel adapter that publishes contacts to ``call.received``.

    kefu-publish-calls FILE            every line of a JSON-lines file of call payloads
    kefu-publish-calls --sample N      N calls from the bundled sample (cycled, fresh ids)

Each call is checked against the contract before it is sent, keyed by the
caller (customer id, phone or email) so one caller's contacts stay in order.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

from aiokafka import AIOKafkaProducer
from kefu_contracts import CALL_RECEIVED, CallReceived, Topics
from kefu_kit import ensure_topics

from .calls_source import calls, file_lines, sample_lines


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kefu-publish-calls", description=__doc__.split("\n\n")[0])
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("file", nargs="?", type=Path, help="JSON-lines file of call.received payloads")
    src.add_argument("--sample", type=int, metavar="N", help="publish N calls from the bundled sample")
    p.add_argument("--bootstrap", default=None, help="Kafka bootstrap (default: $KEFU_KAFKA_BOOTSTRAP or 127.0.0.1:9092)")
    p.add_argument("--namespace", default=None, help="topic namespace (default: $KEFU_NAMESPACE)")
    p.add_argument("--rate", type=float, default=0.0, help="calls per second, 0 for as fast as Kafka takes them")
    return p


async def publish(
    items: list[CallReceived], bootstrap: str, namespace: str, rate: float = 0.0
) -> dict[str, float | int]:
    topics = Topics(namespace)
    await ensure_topics(bootstrap, topics.all_physical())
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=5)
    await producer.start()
    started = time.perf_counter()
    try:
        pending = []
        for i, call in enumerate(items):
            if rate > 0:
                delay = started + i / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            pending.append(
                await producer.send(
                    topics(CALL_RECEIVED),
                    call.to_json_bytes(),
                    key=call.kafka_key().encode("utf-8"),
                    headers=[("content-type", b"application/json")],
                )
            )
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    elapsed = time.perf_counter() - started
    return {"published": len(items), "seconds": round(elapsed, 3)}


def main(argv: list[str] | None = None) -> int:
    import os

    args = parser().parse_args(argv)
    bootstrap = args.bootstrap or os.environ.get("KEFU_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    namespace = args.namespace if args.namespace is not None else os.environ.get("KEFU_NAMESPACE", "")
    try:
        lines = sample_lines() if args.sample is not None else file_lines(args.file)
        items = list(calls(lines, args.sample))
    except (OSError, ValueError) as exc:
        print(f"kefu-publish-calls: {exc}", file=sys.stderr)
        return 2
    result = asyncio.run(publish(items, bootstrap, namespace, args.rate))
    print(json.dumps({"topic": Topics(namespace)(CALL_RECEIVED), **result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
