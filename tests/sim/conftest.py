"""Fixtures: a deterministic simulator served on an ephemeral port, and the real ccxt client pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from hedgesim import SimServer, bybit_client, running_sim

# ccxt's client-side throttle is off (the simulator's own rate limits are what is under test; the throttle only
# slows the suite) and so is its quarter-second pause on close.
TEST_CLIENT = {"enableRateLimit": False, "timeout": 5000, "timeout_on_exit": 0}


@pytest.fixture
async def sim() -> AsyncIterator[SimServer]:
    """The default bundled sample (10 Oct 2025), deterministic: time moves only with ``sim.advance``."""
    async with running_sim() as server:
        yield server


@pytest.fixture
async def connect(sim: SimServer) -> AsyncIterator[Callable[..., Any]]:
    """Build more ccxt clients for ``sim`` (other keys, secrets, timeouts); all closed afterwards."""
    clients: list[Any] = []

    def build(api_key: str | None = None, secret: str | None = None, **config: Any) -> Any:
        client = bybit_client(sim.url, api_key or sim.api_key, secret or sim.api_secret, **(TEST_CLIENT | config))
        clients.append(client)
        return client

    try:
        yield build
    finally:
        for client in clients:
            await client.close()


@pytest.fixture
def client(connect: Callable[..., Any]) -> Any:
    """ccxt's async Bybit client with only ``urls['api']`` pointed at the simulator."""
    return connect()
