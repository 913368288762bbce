"""Named values for the core's specifications: valued holdings, targets, our orders, planner inputs."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

from bot.config import ExecutionConfig, RiskConfig
from bot.core.planner.instrument import InstrumentInput
from bot.domain import (
    HedgeTarget,
    HoldingSource,
    Market,
    MarketType,
    Order,
    OrderBook,
    OrderStatus,
    PerpTicker,
    Side,
    ValuedHolding,
)
from bot.settings import PlannerParams
from bot.settings.from_config import planner_params
from tests.factories import NOW, book, perp_ticker, sol_perp_market

D = Decimal


def valued(asset: str, quantity: str, price: str) -> ValuedHolding:
    """A holding valued at a fresh mid price."""
    qty, px = D(quantity), D(price)
    return ValuedHolding(asset, qty, (HoldingSource.exchange("main"),), "mid", px, NOW, D(0), qty * px)


def target(symbol: str, contracts: str, full: str | None = None) -> HedgeTarget:
    """A policy target of ``contracts``; ``full`` (the ratio-1 short) defaults to the same (ratio 1)."""
    return HedgeTarget(
        symbol, D(contracts), abs(D(contracts)), full_contracts=D(full if full is not None else contracts)
    )


def our_order(
    side: Side,
    amount: str,
    price: str,
    *,
    symbol: str = "SOL/USDT:USDT",
    filled: str = "0",
    age: timedelta = timedelta(seconds=10),
    client_order_id: str = "hbtest1x0",
) -> Order:
    """One of our resting post-only orders, placed ``age`` before NOW."""
    return Order(
        symbol,
        side,
        D(amount),
        D(price),
        OrderStatus.OPEN,
        client_order_id,
        client_order_id.removeprefix("hb"),
        filled=D(filled),
        post_only=True,
        timestamp=NOW - age,
    )


def sol_book(bid: str = "149.99", ask: str = "150.00", size: str = "1000") -> OrderBook:
    return book("SOL/USDT:USDT", bid, ask, size=size)


def sol_input(
    contracts: str,
    position: str = "0",
    *,
    full: str | None = None,
    orders: tuple[Order, ...] = (),
    market: Market | None = None,
    book_: OrderBook | None = None,
    ticker: PerpTicker | None = None,
) -> InstrumentInput:
    """Planner input for the SOL perp (mark 150, book 149.99 / 150.00, 1000 SOL a level, 5 levels)."""
    return InstrumentInput(
        symbol="SOL/USDT:USDT",
        target=target("SOL/USDT:USDT", contracts, full),
        market=market or sol_perp_market(),
        book=book_ or sol_book(),
        ticker=ticker or perp_ticker("SOL/USDT:USDT", "150"),
        position=D(position),
        orders=orders,
    )


def default_params() -> PlannerParams:
    """The planner's settings as the configuration's defaults make them."""
    return planner_params(ExecutionConfig(), RiskConfig())


def params(**overrides: object) -> PlannerParams:
    """Planner settings: the configuration's defaults, but a large max order so sizing tests see one order."""
    return replace(replace(default_params(), max_order_notional=D(1_000_000)), **overrides)


def at(minutes: float) -> datetime:
    return NOW + timedelta(minutes=minutes)


def eth_perp_market() -> Market:
    """ETHUSDT linear perpetual as Bybit lists it: tick 0.01, lot 0.01 ETH, min 0.01, min notional 5 USDT."""
    return Market(
        symbol="ETH/USDT:USDT",
        base="ETH",
        quote="USDT",
        settle="USDT",
        type=MarketType.PERP,
        tick_size=D("0.01"),
        lot_step=D("0.01"),
        min_qty=D("0.01"),
        min_notional=D(5),
        max_leverage=D(100),
    )
