"""Named risk-gate scenarios: a SOL hedge of 100 SOL at a mark of 150, 60 contracts short, within every limit.

The baseline, hand-checked against the default limits (config.example.toml [risk]):
- full hedge 100 contracts, position -60 @ 150 (hedge ratio 0.6), mark 150, data fresh (taken at NOW);
- collateral 20,000 USDT, isolated margin, leverage 1 set on the instrument, SOL maintenance margin 1 %;
- no resting orders of ours, no orders in the last minute, no turnover or funding today.
A sell of 10 @ 150 (1,500 USDT) from there breaks nothing: ratio 0.7, hedge 10,500, account leverage 0.525,
isolated liquidation at 150 x 2 / 1.01 = 297.03 (98 % away).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

from bot.domain import (
    FeeRates,
    MarginMode,
    Market,
    Order,
    OrderIntent,
    OrderStatus,
    Position,
    ReasonCode,
    Side,
    TradingState,
)
from bot.risk import RiskContext, RiskHistory, RiskLimits
from tests.factories import NOW, perp_ticker, short_position, sol_perp_market

D = Decimal
SOL = "SOL/USDT:USDT"


def default_limits(**changes: Any) -> RiskLimits:
    base = RiskLimits(
        max_leverage=D(2),
        max_order_notional=D(5000),
        max_total_hedge_notional=D(50000),
        max_hedge_ratio=D(1),
        max_orders_per_minute=20,
        max_price_deviation_bps=D(100),
        max_data_age=timedelta(seconds=15),
        min_liquidation_distance=D("0.30"),
        max_daily_turnover=D(100000),
        max_daily_funding_cost=D(100),
    )
    return replace(base, **changes)


def sol_position(contracts: str = "-60", entry: str = "150", age: timedelta = timedelta(0)) -> Position:
    return replace(short_position(SOL, "0", entry), contracts=D(contracts), timestamp=NOW - age)


def resting(side: Side, amount: str, price: str = "150", client_order_id: str = "hbrest01x0") -> Order:
    return Order(
        symbol=SOL,
        side=side,
        amount=D(amount),
        price=D(price),
        status=OrderStatus.OPEN,
        client_order_id=client_order_id,
        order_id="v-" + client_order_id,
    )


def sol_context(
    *,
    position: Position | None = None,
    our_orders: Iterable[Order] = (),
    market: Market | None = None,
    mark: str = "150",
    mark_age: timedelta = timedelta(0),
    full_hedge: str = "100",
    collateral: str = "20000",
    margin_mode: MarginMode = MarginMode.ISOLATED,
    leverage: str = "1",
    state: TradingState = TradingState.ACTIVE,
    history: RiskHistory | None = None,
) -> RiskContext:
    ticker = replace(perp_ticker(SOL, mark), timestamp=NOW - mark_age)
    return RiskContext(
        now=NOW,
        state=state,
        markets={SOL: market or sol_perp_market()},
        tickers={SOL: ticker},
        positions={SOL: position or sol_position()},
        our_orders=tuple(our_orders),
        full_hedge={SOL: D(full_hedge)},
        collateral=D(collateral),
        margin_mode=margin_mode,
        leverage={SOL: D(leverage)},
        history=history or RiskHistory(),
    )


def sell(amount: str = "10", price: str = "150", replaces: str | None = None) -> OrderIntent:
    return OrderIntent(
        symbol=SOL, side=Side.SELL, amount=D(amount), price=D(price), reduce_only=False, reason=ReasonCode.REBALANCE,
        replaces=replaces,
    )  # fmt: skip


def buy_back(amount: str = "10", price: str = "150", reduce_only: bool = True) -> OrderIntent:
    return OrderIntent(
        symbol=SOL, side=Side.BUY, amount=D(amount), price=D(price), reduce_only=reduce_only,
        reason=ReasonCode.REBALANCE,
    )  # fmt: skip


def base_tier_fees() -> dict[str, FeeRates]:
    """The account's fee rates on SOL at Bybit's base tier: maker 0.02 %, taker 0.055 %."""
    return {SOL: FeeRates(maker=D("0.0002"), taker=D("0.00055"))}


def high_maintenance_sol() -> Market:
    """SOL with a 20 % maintenance margin rate: a market where liquidation sits close even at low leverage."""
    return replace(sol_perp_market(), maintenance_margin_rate=D("0.2"))
