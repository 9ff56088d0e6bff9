"""The kit's one back-off: exponential and capped, for failures that waiting can cure (tenacity underneath).

Three places wait for something to come back: the consumer guard (a store or broker
outage in the middle of a handler, forever, transient errors only), the start-up
wait for the store, and the start-up wait for Kafka (a bounded number of attempts,
any error). They differ in what they retry and for how long, not in how they wait.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt, stop_never, wait_exponential

T = TypeVar("T")

OnRetry = Callable[[BaseException, float, int], None]


async def retry(
    action: Callable[[], Awaitable[T]], *, initial_s: float, max_s: float, attempts: int | None = None,
    retry_on: Callable[[BaseException], bool] = lambda exc: isinstance(exc, Exception),
    on_retry: OnRetry | None = None,
) -> T:
    """Await ``action()`` until it succeeds; after a failure that ``retry_on`` accepts, wait ``initial_s``,
    then twice as long each time up to ``max_s``. ``attempts`` bounds the tries (None: forever); the last
    failure, or one ``retry_on`` refuses, is raised as it is.

    ``on_retry(error, wait_s, attempt)`` runs before each wait (logging, metrics).
    """

    def before_sleep(state: RetryCallState) -> None:
        if on_retry is not None and state.outcome is not None:
            error = state.outcome.exception()
            assert error is not None
            on_retry(error, state.upcoming_sleep, state.attempt_number)

    retrying = AsyncRetrying(
        retry=retry_if_exception(retry_on),
        wait=wait_exponential(multiplier=initial_s, exp_base=2, max=max_s),
        stop=stop_after_attempt(attempts) if attempts is not None else stop_never,
        before_sleep=before_sleep,
        reraise=True,
    )
    return await retrying(action)
