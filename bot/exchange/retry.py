"""Retry policy for idempotent requests (reads and cancels): exponential backoff with full jitter, a small cap.

Order creation never goes through here. Retried: ``ExchangeUnavailable`` (incl. timeouts), ``RateLimited`` (with a
longer minimum wait) and ``ClockSkew`` (once, after the caller re-synchronises its clock offset). Everything else,
notably ``AuthenticationFailed`` and ``PermissionDenied``, is raised at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import structlog
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_random_exponential

from bot.errors import ClockSkew, ExchangeUnavailable, RateLimited

log = structlog.get_logger(__name__)

T = TypeVar("T")

RETRYABLE = (ExchangeUnavailable, RateLimited, ClockSkew)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 4  # in total, the first one included
    base_delay: float = 0.25  # seconds; the jittered wait grows as base * 2**n
    max_delay: float = 4.0
    rate_limited_delay: float = 2.0  # the least wait after the venue throttled us


async def retrying(
    request: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    describe: str,
    before_retry: Callable[[BaseException], Awaitable[None]] | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """Await ``request()``, retrying retryable failures under ``policy``; ``before_retry`` runs before each wait."""
    jitter = wait_random_exponential(multiplier=policy.base_delay, max=policy.max_delay)

    def wait(state: RetryCallState) -> float:
        delay = jitter(state)
        if isinstance(_failure(state), RateLimited):
            delay = max(delay, policy.rate_limited_delay)
        return delay

    def stop(state: RetryCallState) -> bool:
        if isinstance(_failure(state), ClockSkew):
            return state.attempt_number >= 2
        return state.attempt_number >= policy.attempts

    async def before_sleep(state: RetryCallState) -> None:
        failure = _failure(state)
        log.warning(
            "exchange.retry",
            request=describe,
            attempt=state.attempt_number,
            error=type(failure).__name__,
            wait_seconds=round(state.upcoming_sleep, 3),
        )
        if before_retry is not None and failure is not None:
            await before_retry(failure)

    controller = AsyncRetrying(
        retry=retry_if_exception_type(RETRYABLE),
        stop=stop,
        wait=wait,
        before_sleep=before_sleep,
        sleep=sleep,
        reraise=True,
    )
    return await controller(request)


def _failure(state: RetryCallState) -> BaseException | None:
    return state.outcome.exception() if state.outcome is not None else None
