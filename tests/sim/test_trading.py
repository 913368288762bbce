"""Specification of order entry and matching in the engine (no HTTP): Bybit's rules, fills, rejections."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from hedgesim import SimConfig, SimExchange, SimReject
from hedgesim.bands import price_limits
from hedgesim.enums import MarginMode, Side
from hedgesim.instruments import Category, perp_instrument, spot_instrument
from hedgesim.orders import NewOrder, OrderStatus, OrderType, TimeInForce
from tests.sim.factories import D, exchange, flat, flat_sample, sol_sample

LINEAR, SPOT = Category.LINEAR, Category.SPOT
FIVE_MINUTES = timedelta(minutes=5)


def limit(
    side: str,
    qty: str,
    price: str,
    tif: TimeInForce = TimeInForce.GTC,
    category: Category = LINEAR,
    reduce_only: bool = False,
    link_id: str | None = None,
) -> NewOrder:
    return NewOrder(category, "SOLUSDT", Side(side), OrderType.LIMIT, D(qty), D(price), tif, reduce_only, link_id)


def market(side: str, qty: str, category: Category = LINEAR, reduce_only: bool = False) -> NewOrder:
    return NewOrder(category, "SOLUSDT", Side(side), OrderType.MARKET, D(qty), reduce_only=reduce_only)


def rejection(ex: SimExchange, order: NewOrder) -> int:
    with pytest.raises(SimReject) as info:
        ex.place_order(order)
    return info.value.ret_code


def dip_sample(volume: str = "100000") -> SimExchange:
    """SOL at 100, then a bar touching 99.5, then one trading through it (low 99)."""
    bars = [*flat("100", 1), ("100", "100", "99.5", "100"), ("100", "100", "99", "99.5"), *flat("99.5", 20)]
    return exchange(sol_sample(bars, volume=D(volume)))


def test_resting_buy_when_market_only_touches_its_price_then_it_does_not_fill() -> None:
    ex = dip_sample()
    order = ex.place_order(limit("buy", "1", "99.50", TimeInForce.POST_ONLY))
    ex.advance(2 * FIVE_MINUTES)  # to the end of the bar whose low is exactly 99.50
    assert ex.venue.orders.get(order.order_id).status is OrderStatus.NEW  # type: ignore[union-attr]


def test_resting_buy_when_market_trades_through_its_price_then_filled_at_its_price_as_maker() -> None:
    ex = dip_sample()
    order = ex.place_order(limit("buy", "1", "99.50", TimeInForce.POST_ONLY))
    ex.advance(3 * FIVE_MINUTES)
    filled = ex.venue.orders.get(order.order_id)
    assert filled is not None
    assert (filled.status, filled.cum_qty, filled.avg_price) == (OrderStatus.FILLED, D(1), D("99.50"))
    (trade,) = ex.executions
    assert (trade.is_maker, trade.fee) == (True, D("99.50") * D("0.0002"))


def test_resting_buy_when_little_volume_trades_through_then_it_fills_partially() -> None:
    # bar 3 (100 -> high 100 -> low 99 -> close 99.5) is below 99.50 for half its 5 minutes: 12 x 1/2 = 6
    # units trade through the order's price, a quarter of which (1.5) is its share
    ex = dip_sample(volume="12")
    order = ex.place_order(limit("buy", "10", "99.50", TimeInForce.POST_ONLY))
    ex.advance(3 * FIVE_MINUTES)
    filled = ex.venue.orders.get(order.order_id)
    assert filled is not None
    assert (filled.status, filled.cum_qty) == (OrderStatus.PARTIALLY_FILLED, D("1.5"))


@pytest.mark.parametrize(
    ("side", "price", "category"),
    [("buy", "100.01", LINEAR), ("sell", "99.99", LINEAR), ("buy", "100.50", LINEAR), ("sell", "99.90", SPOT),
     ("buy", "100.10", SPOT)],
)  # fmt: skip
def test_post_only_when_it_would_take_liquidity_then_accepted_and_cancelled_with_bybit_reason(
    side: str, price: str, category: Category
) -> None:
    # spot too: Bybit's v5 documentation (create-order, timeInForce PostOnly) cancels it, no 170218 rejection
    ex = exchange(flat_sample(), sol="10")
    order = ex.place_order(limit(side, "1", price, TimeInForce.POST_ONLY, category))
    assert (order.status, order.reject_reason, order.cum_qty) == (
        OrderStatus.CANCELLED,
        "EC_PostOnlyWillTakeLiquidity",
        D(0),
    )
    assert not ex.executions


def test_market_order_when_larger_than_the_touch_then_walks_the_book_and_pays_slippage() -> None:
    ex = exchange(flat_sample(), usdt="100000")
    order = ex.place_order(market("buy", "400"))
    # 249.9 at 100.01 and 150.1 at 100.02 (see the book specification)
    assert order.avg_price == (D("249.9") * D("100.01") + D("150.1") * D("100.02")) / 400
    assert order.price == D("105.00")  # the price limit: mark x (1 + priceLimitRatioX 5 %)


@pytest.mark.parametrize(
    ("order", "price"),
    [
        (limit("sell", "1", "90"), D(95)),  # below the lowest sell, max(mark x 0.9, min(index, mark x 0.95))
        (limit("buy", "1", "120", TimeInForce.POST_ONLY), D(105)),  # then it crosses: cancelled, post-only
        (limit("buy", "1", "104"), D(104)),  # inside the limits: as sent
    ],
)
def test_perpetual_limit_when_beyond_the_price_limit_then_moved_to_it_as_bybit_does_by_default(
    order: NewOrder, price: Decimal
) -> None:
    assert exchange(flat_sample(), sol="10").place_order(order).price == price


@pytest.mark.parametrize(
    ("category", "last", "mark", "index", "limits"),
    [
        (LINEAR, "102", "100", "101", ("107", "95")),  # the premium (mid - mark) widens the buy side
        (LINEAR, "98", "100", "99", ("105", "93")),  # and a discount the sell side
        (LINEAR, "100", "100", "112", ("110", "95")),  # the index above the soft band, capped at mark x 1.1
        (SPOT, "100", "100", "100", ("105", "95")),
    ],
)
def test_price_limits_when_mark_index_and_book_given_then_bybit_formulas(
    category: Category, last: str, mark: str, index: str, limits: tuple[str, str]
) -> None:
    instrument = (perp_instrument if category is LINEAR else spot_instrument)("SOL", D(100))  # x 5 %, y 10 %
    assert price_limits(instrument, D(last), D(mark), D(index)) == (D(limits[0]), D(limits[1]))


def test_fok_when_the_book_cannot_fill_it_within_the_price_then_cancelled_with_nothing_filled() -> None:
    ex = exchange(flat_sample(), usdt="100000")
    order = ex.place_order(limit("buy", "400", "100.01", TimeInForce.FOK))
    assert (order.status, order.cum_qty, order.reject_reason) == (OrderStatus.CANCELLED, D(0), "EC_CancelForNoFullFill")


def test_ioc_when_partly_fillable_then_rest_cancelled() -> None:
    ex = exchange(flat_sample(), usdt="100000")
    order = ex.place_order(limit("buy", "400", "100.01", TimeInForce.IOC))
    assert (order.status, order.cum_qty) == (OrderStatus.CANCELLED, D("249.9"))


def test_reduce_only_when_no_position_then_110017() -> None:
    assert rejection(exchange(flat_sample()), limit("buy", "1", "99", reduce_only=True)) == 110017


def test_reduce_only_when_larger_than_the_position_then_clamped_to_its_size() -> None:
    ex = exchange(flat_sample())
    ex.place_order(market("sell", "2"))
    order = ex.place_order(limit("buy", "5", "99", TimeInForce.POST_ONLY, reduce_only=True))
    assert order.qty == D(2)


def test_reduce_only_when_the_position_shrinks_then_resting_order_is_clamped_or_cancelled() -> None:
    ex = exchange(flat_sample())
    ex.place_order(market("sell", "2"))
    order = ex.place_order(limit("buy", "2", "99", TimeInForce.POST_ONLY, reduce_only=True))
    ex.place_order(market("buy", "1"))
    assert ex.venue.orders.get(order.order_id).qty == D(1)  # type: ignore[union-attr]
    ex.place_order(market("buy", "1"))
    assert ex.venue.orders.get(order.order_id).cancel_type == "CancelByReduceOnly"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("order", "code"),
    [
        (limit("buy", "1.05", "99"), 10001),  # not a multiple of the 0.1 lot
        (limit("buy", "0.0", "99"), 10001),
        (limit("buy", "0.1", "49"), 110094),  # 4.90 USDT: under the 5 USDT minimum notional
        (limit("buy", "1", "99.005"), 10001),  # off the 0.01 tick
        (limit("buy", "1", "105.01", category=SPOT), 170193),  # above spot's highest buy (last + 5 %)
        (limit("sell", "1", "94.99", category=SPOT), 170194),
    ],
)
def test_place_when_order_breaks_a_rule_then_bybit_error_code(order: NewOrder, code: int) -> None:
    assert rejection(exchange(flat_sample()), order) == code


@pytest.mark.parametrize(("side", "usdt", "sol"), [("buy", "98", "0"), ("sell", "1000", "0.5")])
def test_spot_order_when_balance_is_short_then_170131(side: str, usdt: str, sol: str) -> None:
    assert rejection(exchange(flat_sample(), usdt=usdt, sol=sol), limit(side, "1", "99", category=SPOT)) == 170131


@pytest.mark.parametrize(
    ("qty", "price", "code"),
    [("0.0005", "100", 170137), ("0.001", "100", 170136), ("0.04", "100", 170140)],
)
def test_spot_filters_when_broken_then_spot_error_codes(qty: str, price: str, code: int) -> None:
    ex = exchange(flat_sample(), usdt="1000")
    assert rejection(ex, limit("buy", qty, price, category=SPOT)) == code


def test_place_when_margin_is_insufficient_then_110007() -> None:
    ex = exchange(flat_sample(), usdt="1000")
    ex.set_leverage("SOLUSDT", D(1))
    assert rejection(ex, limit("sell", "11", "100.50")) == 110007  # 1105.5 USDT of margin at 1x


def test_place_when_client_id_is_used_by_an_open_order_then_duplicate_until_it_closes() -> None:
    ex = exchange(flat_sample())
    first = ex.place_order(limit("buy", "1", "99", link_id="hb1"))
    assert rejection(ex, limit("buy", "1", "98", link_id="hb1")) == 110072
    ex.cancel_order(LINEAR, "SOLUSDT", link_id="hb1")
    assert ex.place_order(limit("buy", "1", "98", link_id="hb1")).order_id != first.order_id


@pytest.mark.parametrize(("leverage", "code"), [("10", 110043), ("101", 10001), ("0.5", 10001)])
def test_set_leverage_when_same_or_out_of_range_then_refused(leverage: str, code: int) -> None:
    ex = exchange(flat_sample())  # default leverage 10; SOL allows 1 .. 100
    with pytest.raises(SimReject) as info:
        ex.set_leverage("SOLUSDT", D(leverage))
    assert info.value.ret_code == code


def test_cancel_when_order_unknown_or_finished_then_110001() -> None:
    ex = exchange(flat_sample())
    order = ex.place_order(market("sell", "1"))
    with pytest.raises(SimReject) as info:
        ex.cancel_order(LINEAR, "SOLUSDT", order_id=order.order_id)
    assert info.value.ret_code == 110001


def test_margin_mode_when_positions_are_open_then_switch_refused() -> None:
    ex = exchange(flat_sample())
    ex.place_order(market("sell", "1"))
    with pytest.raises(SimReject) as info:
        ex.set_margin_mode(MarginMode.ISOLATED)
    assert info.value.ret_code == 3400045


def test_spot_limit_buy_when_resting_then_quote_is_locked_and_free_drops() -> None:
    ex = exchange(flat_sample(), usdt="1000")
    ex.place_order(limit("buy", "2", "99", category=SPOT))
    usdt = next(row for row in ex.balances() if row.coin == "USDT")
    assert (usdt.locked, usdt.free) == (D(198), D(802))


def big_btc_exchange() -> SimExchange:
    """The bundled sample (BTC about 121 600) with 10 million USDT."""
    return SimExchange.deterministic(SimConfig(balances={"USDT": D(10_000_000)}))


def btc_buy(qty: str, price: str) -> NewOrder:
    return NewOrder(LINEAR, "BTCUSDT", Side.BUY, OrderType.LIMIT, D(qty), D(price), TimeInForce.POST_ONLY)


def test_place_when_the_position_would_pass_the_tier_its_leverage_allows_then_110090_until_leverage_lowered() -> None:
    ex = big_btc_exchange()
    ex.set_leverage("BTCUSDT", D(100))  # tier 1 (up to 2 000 000 USDT) allows 100x, tier 2 only 90x
    ex.place_order(btc_buy("16", "120000"))  # 1 920 000: tier 1
    with pytest.raises(SimReject, match="adjust your leverage to 90 or below") as info:
        ex.place_order(btc_buy("1", "120000"))  # with the resting 16, 2 040 000: tier 2
    assert info.value.ret_code == 110090
    ex.set_leverage("BTCUSDT", D(90))
    assert ex.place_order(btc_buy("1", "120000")).status is OrderStatus.NEW


def test_place_when_the_position_would_pass_the_last_tier_then_110090() -> None:
    ex = exchange(flat_sample(), usdt="100000000")  # SOL: one tier, up to 2 000 000 USDT
    ex.set_leverage("SOLUSDT", D(2))
    assert rejection(ex, limit("buy", "20010", "99.98", TimeInForce.POST_ONLY)) == 110090  # 2 000 599.80 USDT
