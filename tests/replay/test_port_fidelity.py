"""Specification of the in-process port: it answers what the ccxt adapter answers over HTTP, call for call.

Two identical simulators (same sample, balances and id seed, each on its own manual clock): one served over HTTP
to the real ccxt adapter, one wrapped by ``SimPort``. The same script of calls runs against both; every answer
(domain values, or the class of the error raised) must be equal, to their last digit, through orders resting, filling, cancelled,
refused, and funding settling.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from bot.config import parse_config
from bot.domain import MarginMode, Side
from bot.exchange.factory import build_exchange
from bot.exchange.port import ExchangePort, OrderRequest
from bot.replay.port import SimPort
from bot.settings.from_config import settings_for
from hedgesim import SimConfig, SimExchange, running_sim

pytestmark = pytest.mark.e2e

D = Decimal
SOL, ETH, BTC = "SOL/USDT:USDT", "ETH/USDT:USDT", "BTC/USDT:USDT"
PERPS = (BTC, ETH, SOL)
START = datetime.fromisoformat("2025-10-10T19:45:00+00:00")
BALANCES = {"USDT": D(50_000), "SOL": D(100), "ETH": D(3)}


def engine() -> SimExchange:
    return SimExchange.deterministic(SimConfig(start=START, balances=BALANCES, rate_limits=False))


Step = Callable[[ExchangePort], Awaitable[Any]]


async def answer(step: Step, port: ExchangePort) -> Any:
    """What a call returns, or the class of what it raises."""
    try:
        return await step(port)
    except Exception as exc:
        return type(exc)


@asynccontextmanager
async def both_ports() -> AsyncIterator[tuple[ExchangePort, SimExchange, ExchangePort, SimExchange]]:
    served, direct = engine(), engine()
    async with running_sim(engine=served) as sim:
        data = {"venues": {"main": {"exchange": "bybit", "mode": "sim", "url": sim.url, "client_rate_limit": False}}}
        config = parse_config(data, env={})
        adapter = build_exchange(settings_for(config, "main").venue, config.credentials("main"), served.clock)
        try:
            yield adapter, served, SimPort("main", direct), direct
        finally:
            await adapter.close()


def order(cid: str, side: Side, amount: str, price: str, *, symbol: str = SOL, reduce_only: bool = False) -> Step:
    request = OrderRequest(symbol, side, D(amount), D(price), cid, reduce_only)
    return lambda port: port.place_order(request)


def below_the_bid(cid: str, amount: str) -> Step:
    """A reduce-only buy two ticks under the best bid the port reads now."""

    async def step(port: ExchangePort) -> Any:
        best = (await port.fetch_order_book(SOL, 1)).bids[0].price
        return await port.place_order(OrderRequest(SOL, Side.BUY, D(amount), best - D("0.02"), cid, True))

    return step


def reads(wait: timedelta = timedelta(0), since: datetime | None = None) -> list[tuple[Step, timedelta]]:
    """Every read of the port; market time passes by ``wait`` first."""
    steps: list[Step] = [
        lambda port: port.fetch_margin_balances(),
        lambda port: port.fetch_spot_quotes(["SOL", "ETH", "BTC", "NOPE"]),
        lambda port: port.fetch_perp_tickers(PERPS),
        lambda port: port.fetch_order_book(SOL, 5),
        lambda port: port.fetch_order_book(BTC, 20),
        lambda port: port.fetch_price_history(SOL, "5m", 13),
        lambda port: port.fetch_price_history("ETH/USDT", "1h", 5),
        lambda port: port.fetch_positions(PERPS),
        lambda port: port.fetch_open_orders(PERPS),
        lambda port: port.fetch_my_trades([SOL, ETH], since),
        lambda port: port.fetch_funding_payments([SOL, ETH], since),
        lambda port: port.fetch_leverage(SOL),
        lambda port: port.server_time(),
    ]
    return [(step, wait if index == 0 else timedelta(0)) for index, step in enumerate(steps)]


async def test_sim_port_when_the_same_calls_meet_the_same_venue_then_it_answers_as_the_ccxt_adapter() -> None:
    async with both_ports() as (adapter, served, direct_port, direct):
        book = await direct_port.fetch_order_book(SOL, 1)
        bid, ask = book.bids[0].price, book.asks[0].price
        script: list[tuple[Step, timedelta]] = [
            (lambda port: port.load_markets(), timedelta(0)),
            (lambda port: port.ensure_one_way_mode(SOL), timedelta(0)),
            (lambda port: port.set_margin_mode(SOL, MarginMode.ISOLATED), timedelta(0)),
            (lambda port: port.set_leverage(SOL, D(2)), timedelta(0)),
            (lambda port: port.set_leverage(SOL, D(2)), timedelta(0)),  # not modified: success
            *reads(),
            (order("hbrest1", Side.SELL, "12.3", str(ask + D("0.05"))), timedelta(0)),  # rests above the ask
            (order("hbtake1", Side.SELL, "1.5", str(bid - D("0.5"))), timedelta(0)),  # would take: CANCELED
            (order("hbrest1", Side.SELL, "1", str(ask + D(1))), timedelta(0)),  # duplicate client id
            (order("hbtiny1", Side.SELL, "0.1", str(ask)), timedelta(0)),  # below the minimum notional
            (order("hbred1", Side.BUY, "1", str(bid), reduce_only=True), timedelta(0)),  # nothing to reduce
            (order("hbfar1", Side.SELL, "1", str(bid / 2)), timedelta(0)),  # outside the price band
            (order("hbeth1", Side.SELL, "0.5", "100000", symbol=ETH), timedelta(0)),
            (lambda port: port.fetch_order(SOL, client_order_id="hbrest1"), timedelta(0)),
            (lambda port: port.fetch_order(SOL, client_order_id="hbnever"), timedelta(0)),
            *reads(timedelta(minutes=40)),  # the market moves: the sell fills
            *reads(timedelta(hours=9), START),  # funding settles on the short
            (lambda port: port.cancel_order(SOL, client_order_id="hbrest1"), timedelta(0)),
            (lambda port: port.cancel_order(SOL, client_order_id="hbrest1"), timedelta(0)),  # already gone
            (order("hbfar2", Side.BUY, "3", str(bid), reduce_only=True), timedelta(0)),  # now above the band
            (below_the_bid("hbrest2", "3"), timedelta(0)),  # a reduce-only buy resting under the market
            (lambda port: port.fetch_order(SOL, client_order_id="hbrest2"), timedelta(0)),
            *reads(since=START + timedelta(minutes=30)),
        ]
        for number, (step, wait) in enumerate(script):
            served.advance(wait)
            direct.advance(wait)
            over_http, in_process = await answer(step, adapter), await answer(step, direct_port)
            # repr, not ==: Decimal("1.0") == Decimal("1"), but the journal writes them differently
            assert repr(in_process) == repr(over_http), f"step {number}: {in_process!r} != {over_http!r}"
        fills = await direct_port.fetch_my_trades([SOL])
        funding = await direct_port.fetch_funding_payments([SOL])
    assert fills, "the script must make the resting sell fill, or fills were never compared"
    assert funding, "the script must settle funding on the short, or funding was never compared"
