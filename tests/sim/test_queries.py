"""Specification of the engine's read API: what the venue shows a client, in-process (an in-process port reads it)."""

from __future__ import annotations

from datetime import timedelta

from hedgesim import SimExchange
from hedgesim.enums import Side
from hedgesim.instruments import Category
from hedgesim.orders import NewOrder, OrderType, TimeInForce
from hedgesim.views import book, ticker
from tests.sim.factories import D, exchange, flat, sol_sample

FIVE = 300_000


def rising() -> SimExchange:
    """SOL 100.004 -> 101.004 -> 102.004 ... (perp ticks of 0.010: published on the tick), one bar every 5 min."""
    bars = [(f"{100 + i}.004", f"{100 + i}.004", f"{100 + i}.004", f"{100 + i}.004") for i in range(10)]
    return exchange(sol_sample(bars), usdt="100000")


def post_only_sell(ex: SimExchange, price: str, link_id: str) -> None:
    ex.place_order(
        NewOrder(
            Category.LINEAR,
            "SOLUSDT",
            Side.SELL,
            OrderType.LIMIT,
            D(1),
            D(price),
            TimeInForce.POST_ONLY,
            link_id=link_id,
        )
    )


def test_bars_when_asked_for_the_last_candles_then_oldest_first_on_the_tick_the_last_one_forming() -> None:
    ex = rising()
    ex.advance(timedelta(minutes=12))
    bars = ex.bars(Category.LINEAR, "SOLUSDT", FIVE, 3)
    assert [bar.ohlc[3] for bar in bars] == [D("100.00"), D("101.00"), D("102.00")]
    assert bars[-1].start_ms == ex.now_ms() - 2 * 60_000  # 00:10, two minutes into the forming candle


def test_ticker_and_book_when_read_through_the_engine_then_the_views_the_bybit_routes_serve() -> None:
    ex = exchange(sol_sample(flat("100", 24)))
    ex.advance(timedelta(minutes=7))
    instrument = ex.instrument(Category.LINEAR, "SOLUSDT")
    assert ex.ticker(Category.LINEAR, "SOLUSDT") == ticker(ex.venue, instrument, ex.now_ms())
    assert ex.order_book(Category.LINEAR, "SOLUSDT", 3) == book(ex.venue, instrument, ex.now_ms(), 3)


def test_open_orders_when_several_rest_then_newest_first_and_ended_ones_left_out() -> None:
    ex = exchange(sol_sample(flat("100", 24)))
    post_only_sell(ex, "101", "first")
    ex.advance(timedelta(seconds=1))
    post_only_sell(ex, "102", "second")
    ex.advance(timedelta(seconds=1))
    post_only_sell(ex, "103", "third")
    ex.cancel_order(Category.LINEAR, "SOLUSDT", link_id="second")
    assert [o.link_id for o in ex.open_orders(Category.LINEAR)] == ["third", "first"]
    assert ex.open_orders(Category.SPOT) == []


def test_find_orders_when_looked_up_by_client_id_then_closed_ones_are_found_too() -> None:
    ex = exchange(sol_sample(flat("100", 24)))
    post_only_sell(ex, "101", "gone")
    ex.cancel_order(Category.LINEAR, "SOLUSDT", link_id="gone")
    (found,) = ex.find_orders(None, "gone", recent_only=True)
    assert (found.link_id, found.status.is_open) == ("gone", False)
    assert ex.find_orders(None, "never", recent_only=False) == []
