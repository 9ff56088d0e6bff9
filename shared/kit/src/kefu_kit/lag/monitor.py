"""``LagMonitor``: samples Kafka and keeps each partition's sliding window between samples."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from types import TracebackType

from .evaluation import Observation, Thresholds
from .report import LagReport, PartitionKey, advance, build_report
from .sampler import KafkaLagSource


def kefu_groups_prefix(namespace: str = "") -> str:
    """The prefix of kefu's consumer groups: ``kefu-`` or ``<namespace>.kefu-`` (see ServiceSettings.group_id)."""
    return f"{namespace}.kefu-" if namespace else "kefu-"


class LagMonitor:
    """Watches the consumer groups named ``groups_prefix*`` (or only ``groups``, when given).

    Call ``await sample()`` at a steady interval (the dashboard: ``kit.every``; ``kefu lag``:
    ``--interval``): each call adds one observation per partition to its window
    (``thresholds.window`` long) and returns the evaluated ``LagReport``, also kept as ``report``
    for ``LagCollector``. Start lazily on the first sample; ``close()`` (or ``async with``) at the end.
    """

    def __init__(
        self,
        bootstrap: str,
        groups_prefix: str = "kefu-",
        thresholds: Thresholds | None = None,
        *,
        groups: Iterable[str] | None = None,
    ) -> None:
        self.thresholds = thresholds or Thresholds()
        self._prefix = groups_prefix
        self._groups = frozenset(groups) if groups is not None else None
        self._source = KafkaLagSource(bootstrap, self.watches, self.thresholds.commit_lookback_s)
        self._windows: dict[PartitionKey, tuple[Observation, ...]] = {}
        self._started = False
        self._lock = asyncio.Lock()  # one sample at a time: a loop and a request may both ask
        self.report: LagReport | None = None

    def watches(self, group: str) -> bool:
        """Whether ``group`` is one this monitor reports on."""
        return group.startswith(self._prefix) and (self._groups is None or group in self._groups)

    async def sample(self) -> LagReport:
        """Observe every watched partition once, slide the windows, evaluate them."""
        async with self._lock:
            if not self._started:
                await self._source.start()
                self._started = True
            snapshot = await self._source.observe()
            self._windows = advance(self._windows, snapshot, self.thresholds.window)
            self.report = build_report(self._windows, self.thresholds, time.time())
            return self.report

    async def close(self) -> None:
        """Disconnect from Kafka; the windows are kept, a later ``sample()`` reconnects."""
        if self._started:
            await self._source.close()
            self._started = False

    async def __aenter__(self) -> LagMonitor:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
