"""Acceptance: ccxt's own unified-structure validators (from the ccxt wheel) accept what the simulator returns."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

# ccxt's validators (named test_*: aliased so that pytest does not collect them as tests of ours)
from ccxt.test.exchange.base import test_balance as check_balance
from ccxt.test.exchange.base import test_market as check_market
from ccxt.test.exchange.base import test_order as check_order
from ccxt.test.exchange.base import test_order_book as check_order_book
from ccxt.test.exchange.base import test_position as check_position
from ccxt.test.exchange.base import test_ticker as check_ticker
from ccxt.test.exchange.base import test_trade as check_trade

from hedgesim import SimServer

pytestmark = pytest.mark.e2e

SOL = "SOL/USDT:USDT"
NOTHING_SKIPPED: dict[str, Any] = {}
# ccxt 4.5.90's bybit.parse_position always leaves marginMode None ("tradeMode was deprecated"), whatever the
# venue answers, so no Bybit reply can satisfy that one check; everything else is validated.
POSITION_SKIPS: dict[str, Any] = {"marginMode": True}


async def test_markets_when_loaded_then_ccxt_validator_accepts_each(client: Any) -> None:
    markets = await client.load_markets()
    for market in markets.values():
        check_market(client, NOTHING_SKIPPED, "loadMarkets", market)


@pytest.mark.parametrize("symbols", [["BTC/USDT", "ETH/USDT", "SOL/USDT"], ["BTC/USDT:USDT", SOL]])
async def test_tickers_when_fetched_then_ccxt_validator_accepts_each(client: Any, symbols: list[str]) -> None:
    tickers = await client.fetch_tickers(symbols)
    assert sorted(tickers) == sorted(symbols)
    for symbol, ticker in tickers.items():
        check_ticker(client, NOTHING_SKIPPED, "fetchTickers", ticker, symbol)


@pytest.mark.parametrize("symbol", ["SOL/USDT", SOL])
async def test_order_book_when_fetched_then_ccxt_validator_accepts_it(client: Any, symbol: str) -> None:
    book = await client.fetch_order_book(symbol, 25)
    check_order_book(client, NOTHING_SKIPPED, "fetchOrderBook", book, symbol)


async def test_balance_when_orders_and_positions_exist_then_ccxt_validator_accepts_it(client: Any) -> None:
    await client.create_order(SOL, "market", "sell", 2)
    await client.create_order(SOL, "limit", "sell", 1, 230, {"postOnly": True})
    await client.create_order("SOL/USDT", "limit", "sell", 1, 240)
    check_balance(client, NOTHING_SKIPPED, "fetchBalance", await client.fetch_balance())


async def test_orders_when_open_and_closed_then_ccxt_validator_accepts_each(sim: SimServer, client: Any) -> None:
    await client.create_order(SOL, "limit", "sell", 1, 230, {"postOnly": True, "clientOrderId": "hbOpen"})
    await client.create_order(SOL, "market", "sell", 1)
    await client.create_order(SOL, "limit", "buy", 1, 229.5, {"postOnly": True})  # crosses: cancelled
    await client.create_order("SOL/USDT", "market", "buy", 0.5, 230)
    sim.advance(timedelta(minutes=5))
    now = client.milliseconds()
    orders = [
        *await client.fetch_open_orders(SOL),
        *await client.fetch_canceled_and_closed_orders(SOL),
        *await client.fetch_canceled_and_closed_orders("SOL/USDT"),
    ]
    assert {o["status"] for o in orders} == {"open", "closed", "canceled"}
    for order in orders:
        check_order(client, NOTHING_SKIPPED, "fetchOrders", order, order["symbol"], now)


async def test_positions_when_open_then_ccxt_validator_accepts_them(client: Any) -> None:
    # (a flat row has no entry price, on Bybit as here: ccxt validates open positions)
    await client.set_leverage(2, SOL)
    await client.create_order(SOL, "market", "sell", 3)
    await client.create_order("BTC/USDT:USDT", "market", "buy", 0.01)
    positions = await client.fetch_positions()
    assert [p["side"] for p in positions] == ["long", "short"]
    now = client.milliseconds()
    for position in positions:
        check_position(client, POSITION_SKIPS, "fetchPositions", position, position["symbol"], now)


async def test_trades_when_filled_then_ccxt_validator_accepts_each(client: Any) -> None:
    await client.create_order(SOL, "market", "sell", 3)
    await client.create_order("SOL/USDT", "market", "sell", 1)
    now = client.milliseconds()
    trades = [*await client.fetch_my_trades(SOL), *await client.fetch_my_trades("SOL/USDT")]
    assert len(trades) == 2
    for trade in trades:
        check_trade(client, NOTHING_SKIPPED, "fetchMyTrades", trade, trade["symbol"], now, False)
