"""Specification of liquidation as Bybit runs it: laddered down the risk tiers, then taken over at bankruptcy.

Help centre, "Trading Rules: Liquidation Process (Unified Trading Account)": isolated positions one at a time when
the mark reaches the liquidation price; in cross margin the account when its margin balance no longer covers the
maintenance margin. Active orders are cancelled first; a position above its first risk tier is reduced a tier at a
time (createType CreateByLiq); what is still in liquidation is taken over at the bankruptcy price (BustTrade).
"""

from __future__ import annotations

from decimal import Decimal

from hedgesim import SimConfig, SimExchange
from hedgesim.enums import MarginMode, Side
from hedgesim.instruments import Category
from hedgesim.orders import ExecType, NewOrder, OrderStatus, OrderType, TimeInForce
from hedgesim.risk import liquidation_price
from hedgesim.rounding import to_step
from tests.sim.factories import D, exchange, flat, flat_sample, sol_sample

LINEAR = Category.LINEAR


def market(symbol: str, side: str, qty: str) -> NewOrder:
    return NewOrder(LINEAR, symbol, Side(side), OrderType.MARKET, D(qty))


def btc_exchange(mode: MarginMode) -> SimExchange:
    """BTC flat at 100 000 (Bybit's published BTCUSDT tiers: tier 1 up to 2 000 000 USDT), a million USDT."""
    sample = sol_sample(flat("100000", 288), base="BTC")
    config = SimConfig(sample=sample.name, balances={"USDT": D(1_000_000)}, margin_mode=mode)
    return SimExchange.deterministic(config, sample=sample)


def gap_to(ex: SimExchange, base: str, price: Decimal) -> None:
    mark = ex.venue.mark(ex.instrument(LINEAR, f"{base}USDT"), ex.now_ms())
    ex.gap(base, price / mark - 1)


def test_isolated_when_a_tier_2_position_is_reached_then_laddered_to_tier_1_and_kept_while_that_suffices() -> None:
    ex = btc_exchange(MarginMode.ISOLATED)
    ex.set_leverage("BTCUSDT", D(50))
    ex.place_order(market("BTCUSDT", "buy", "25"))  # about 2 500 000 USDT: tier 2 (MMR 0.56 %, deduction 1 200)
    position = ex.venue.account.positions["BTCUSDT"]
    first, _ = liquidation_price(ex.venue, "BTCUSDT", ex.now_ms())
    assert first is not None
    # the same position cut to tier 1 (at most 2 000 000 USDT, MMR 0.5 %) would be liquidated lower down
    entry = position.entry
    keep = to_step(D(2_000_000) / entry, D("0.001"))
    margin = position.margin * keep / 25
    second = entry - (margin - keep * entry * D("0.005")) / keep
    assert second < first
    gap_to(ex, "BTC", (first + second) / 2)
    laddered = [e for e in ex.executions if e.create_type == "CreateByLiq"]
    assert [(e.exec_type, e.side, e.qty) for e in laddered] == [(ExecType.TRADE, Side.SELL, 25 - keep)]
    assert (ex.venue.account.size_of("BTCUSDT"), ex.venue.liquidations) == (keep, [])
    gap_to(ex, "BTC", second - 100)
    (takeover,) = ex.venue.liquidations
    assert (takeover.exec_type, takeover.create_type, takeover.qty) == (
        ExecType.BUST,
        "CreateByTakeOver_PassThrough",
        keep,
    )
    assert "BTCUSDT" not in ex.venue.account.positions


def test_cross_when_margin_balance_falls_below_maintenance_then_orders_cancelled_and_the_balance_forfeited() -> None:
    ex = exchange(flat_sample(), usdt="1000")  # 10x by default
    ex.place_order(market("SOLUSDT", "sell", "50"))  # short 50 at 99.99, taker fee 2.749725
    resting = ex.place_order(NewOrder(LINEAR, "SOLUSDT", Side.BUY, OrderType.LIMIT, D(1), D(95), TimeInForce.POST_ONLY))
    ex.gap("SOL", D("0.25"))  # mark 125: the loss is beyond the whole margin balance
    (takeover,) = ex.venue.liquidations
    assert takeover.exec_type is ExecType.BUST
    assert abs(ex.venue.account.coins["USDT"]) < D("1e-10")  # the margin balance left is forfeited, no more
    cancelled = ex.venue.orders.get(resting.order_id)
    assert cancelled is not None
    assert (cancelled.status, cancelled.cancel_type) == (OrderStatus.CANCELLED, "CancelAllBeforeLiq")


def test_cross_when_spot_collateral_backs_the_short_then_a_rise_that_would_liquidate_usdt_alone_does_not() -> None:
    usdt_only = exchange(flat_sample(), usdt="1000")
    with_sol = exchange(flat_sample(), usdt="1000", sol="20")  # 20 SOL at 100 x 0.95 = 1 900 more margin
    for ex in (usdt_only, with_sol):
        ex.place_order(market("SOLUSDT", "sell", "50"))
        ex.gap("SOL", D("0.25"))
    assert (len(usdt_only.venue.liquidations), len(with_sol.venue.liquidations)) == (1, 0)
