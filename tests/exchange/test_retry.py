"""The retry policy for reads and cancels: which failures retry, how often, and how long it waits."""

from __future__ import annotations

import pytest

from bot.errors import (
    AuthenticationFailed,
    ClockSkew,
    ExchangeError,
    ExchangeUnavailable,
    OrderNotFound,
    PermissionDenied,
    RateLimited,
    RequestTimedOut,
)
from bot.exchange.retry import RetryPolicy, retrying

POLICY = RetryPolicy(attempts=4, base_delay=0.25, max_delay=4.0, rate_limited_delay=2.0)


class Flaky:
    """A request that fails with the given errors in turn, then answers "ok"."""

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "ok"


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.mark.parametrize(
    ("failure", "calls"),
    [
        (ExchangeUnavailable("503"), 4),
        (RequestTimedOut("timeout"), 4),
        (RateLimited("10006"), 4),
        (ClockSkew("10002"), 2),  # re-synchronised, then retried once
        (AuthenticationFailed("10004"), 1),
        (PermissionDenied("10005"), 1),
        (OrderNotFound("110001"), 1),
        (ExchangeError("unknown"), 1),
    ],
)
async def test_retrying_when_a_request_keeps_failing_then_it_is_tried_as_often_as_the_failure_allows(
    failure: Exception, calls: int
) -> None:
    request = Flaky(*[failure] * 10)
    with pytest.raises(type(failure)):
        await retrying(request, POLICY, describe="read", sleep=Sleeps())
    assert request.calls == calls


async def test_retrying_when_failures_pass_then_the_answer_is_returned() -> None:
    request = Flaky(ExchangeUnavailable("503"), RequestTimedOut("timeout"))
    assert await retrying(request, POLICY, describe="read", sleep=Sleeps()) == "ok"
    assert request.calls == 3


async def test_retrying_when_unavailable_then_waits_are_jittered_and_capped() -> None:
    sleeps = Sleeps()
    policy = RetryPolicy(attempts=8, base_delay=0.25, max_delay=1.0, rate_limited_delay=2.0)
    with pytest.raises(ExchangeUnavailable):
        await retrying(Flaky(*[ExchangeUnavailable("503")] * 10), policy, describe="read", sleep=sleeps)
    assert len(sleeps.delays) == 7
    assert all(0 <= delay <= 1.0 for delay in sleeps.delays)


async def test_retrying_when_rate_limited_then_it_backs_off_at_least_the_rate_limit_delay() -> None:
    sleeps = Sleeps()
    with pytest.raises(RateLimited):
        await retrying(Flaky(*[RateLimited("10006")] * 10), POLICY, describe="read", sleep=sleeps)
    assert len(sleeps.delays) == 3
    assert all(2.0 <= delay <= 4.0 for delay in sleeps.delays)


async def test_retrying_when_clock_skew_then_the_hook_runs_before_the_single_retry() -> None:
    seen: list[str] = []

    async def resync(failure: BaseException) -> None:
        seen.append(type(failure).__name__)

    request = Flaky(ClockSkew("10002"))
    assert await retrying(request, POLICY, describe="read", before_retry=resync, sleep=Sleeps()) == "ok"
    assert (seen, request.calls) == (["ClockSkew"], 2)
