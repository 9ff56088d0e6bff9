"""Retrying a message its provider refused: exponential back-off, a bounded number of attempts.

An SMS gateway or a webhook receiver that is down now is often up in a minute;
doubling the wait spares it a storm of retries, the cap keeps the last attempt
within the same working day, and after the last attempt a person must step in
(``notification.failed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=1)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("a message needs at least one attempt")
        if self.base <= timedelta(0) or self.cap < self.base:
            raise ValueError("the base delay must be positive and the cap at least the base")

    def delay_after(self, attempt: int) -> timedelta:
        """How long to wait after failed attempt ``attempt`` (1-based) before the next one."""
        if attempt < 1:
            raise ValueError("attempts count from 1")
        return min(self.base * (2 ** (attempt - 1)), self.cap)

    def has_next(self, attempt: int) -> bool:
        return attempt < self.max_attempts

    def schedule(self) -> list[timedelta]:
        """The waits between all attempts: ``max_attempts - 1`` of them."""
        return [self.delay_after(n) for n in range(1, self.max_attempts)]
