"""Store commands as metrics: how many round trips a service sends, per command and collection.

The store server, not the services, bounds kefu's throughput on the local stack
(SecantusDB pays a transaction and a journal flush per write command), so the
number of commands per handled message is the figure a batching change moves.
``make bench`` divides these counters by the calls it sent; on a running service
``rate(kefu_store_commands_total[5m])`` shows which collection a load hits.
Driver events carry no document contents here: only names and counts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prometheus_client import Counter
from pymongo import monitoring

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

# The driver's own chatter (server monitoring, sessions) is not the service's work.
_QUIET = frozenset({"hello", "ismaster", "isMaster", "ping", "endSessions", "buildInfo", "saslStart",
                    "saslContinue", "getMore", "killCursors"})
_DOCUMENTS = {"insert": "documents", "update": "updates", "delete": "deletes"}


class StoreCommandMetrics(monitoring.CommandListener):
    """``kefu_store_commands_total`` and ``kefu_store_documents_total`` (documents a write command carried)."""

    def __init__(self, registry: "CollectorRegistry") -> None:
        self.commands = Counter("kefu_store_commands_total", "Commands the service sent to its store",
                                ["command", "collection"], registry=registry)
        self.documents = Counter("kefu_store_documents_total", "Documents carried by the service's write commands",
                                 ["command", "collection"], registry=registry)

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        name = event.command_name
        if name in _QUIET:
            return
        command: dict[str, Any] = event.command
        target = command.get(name)
        collection = target if isinstance(target, str) else ""
        self.commands.labels(command=name, collection=collection).inc()
        if name in _DOCUMENTS:
            self.documents.labels(command=name, collection=collection).inc(len(command.get(_DOCUMENTS[name]) or ()))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        return None

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        return None
