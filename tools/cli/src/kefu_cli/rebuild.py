"""``kefu rebuild dashboard``: reset the dashboard's read model and replay its topics into it.

    kefu rebuild dashboard                      the live store (stop the service first)
    kefu rebuild dashboard --into compare_db    another database, e.g. to compare with the live one
    kefu rebuild dashboard --namespace demo --bootstrap 127.0.0.1:9092 --mongo-url mongodb://127.0.0.1:27017

Settings not given come from the environment (KEFU_KAFKA_BOOTSTRAP, KEFU_NAMESPACE; the store is
KEFU_DASHBOARD_MONGO_URL, else KEFU_MONGO_URL, else the local stack's dashboard store: kefu_cli.stores).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="kefu rebuild", description=__doc__.split("\n\n")[0])
    p.add_argument("service", choices=["dashboard"], help="the read model to rebuild")
    p.add_argument("--namespace", help="topic, group and database prefix (default: KEFU_NAMESPACE)")
    p.add_argument("--bootstrap", help="Kafka bootstrap servers (default: KEFU_KAFKA_BOOTSTRAP)")
    p.add_argument("--mongo-url", help="MongoDB URL (default: the dashboard's store: KEFU_DASHBOARD_MONGO_URL, "
                                       "else KEFU_MONGO_URL, else the local stack's)")
    p.add_argument("--into", help="build into this database instead of the live one (the service may keep running)")
    args = p.parse_args(argv)

    from kefu_dashboard.rebuild import RebuildRefused, rebuild
    from kefu_dashboard.settings import Settings

    from .stores import service_store_url

    overrides: dict[str, Any] = {k: v for k, v in {"namespace": args.namespace,
                                                   "kafka_bootstrap": args.bootstrap}.items() if v is not None}
    settings = Settings(**overrides)
    # set after construction: the settings let KEFU_DASHBOARD_MONGO_URL beat a mongo_url given to them
    settings.mongo_url = args.mongo_url or service_store_url(settings.service)
    try:
        result = asyncio.run(rebuild(settings, args.into, progress=lambda line: print(line, file=sys.stderr)))
    except RebuildRefused as exc:
        print(f"kefu rebuild: refused: {exc}", file=sys.stderr)
        return 1
    applied = ", ".join(f"{topic} {n}" for topic, n in sorted(result.events.items())) or "none"
    print(f"rebuilt {result.database} from {sum(result.events.values())} events ({applied})")
    if result.skipped:
        print(f"skipped {sum(result.skipped.values())} messages that break their contract "
              f"(the live service dead-letters them): {dict(result.skipped)}")
    if result.live:
        print(f"consumer group {settings.group_id} set to the end offsets read: start the service again")
    return 0
