"""Fixtures for the exchange adapter's tests: a fake HTTP session and adapters built on it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config import VenueMode
from bot.exchange.ccxt_adapter import CcxtExchange
from tests.exchange.fake_http import FakeSession
from tests.exchange.venues import build, serve_bybit_account


@pytest.fixture
def session() -> FakeSession:
    return FakeSession()


@pytest.fixture
async def bybit(session: FakeSession) -> AsyncIterator[CcxtExchange]:
    """Bybit testnet, unified account, ccxt's recorded markets loaded."""
    serve_bybit_account(session)
    port = build("bybit", VenueMode.TESTNET, session)
    yield port
    await port.close()


@pytest.fixture
async def binance(session: FakeSession) -> AsyncIterator[CcxtExchange]:
    """Binance demo trading: spot (binance) and USD-M (binanceusdm), ccxt's recorded markets loaded."""
    port = build("binance", VenueMode.DEMO, session)
    yield port
    await port.close()


@pytest.fixture
async def okx(session: FakeSession) -> AsyncIterator[CcxtExchange]:
    """OKX demo trading, SOL spot and SOL-USDT-SWAP markets."""
    port = build("okx", VenueMode.DEMO, session)
    yield port
    await port.close()
