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
    assert ex.ticker(Category.LINEAR, "SOLUSDT") == ticker(ex.venue, ex.market, instrument, ex.now_ms())
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


def test_quote_when_read_then_the_tickers_prices_without_its_day_figures() -> None:
    ex = exchange(sol_sample(flat("100", 24), funding=["0.0001", "0.0002"]))
    ex.advance(timedelta(minutes=7))
    quote, full = ex.quote(Category.LINEAR, "SOLUSDT"), ex.ticker(Category.LINEAR, "SOLUSDT")
    assert (quote.time_ms, quote.last, quote.bid, quote.ask) == (full.time_ms, full.last, full.bid, full.ask)
    assert (quote.mark, quote.index, quote.funding_rate, quote.next_funding_ms) == (
        full.mark,
        full.index,
        full.funding_rate,
        full.next_funding_ms,
    )
    assert quote.mark is not None  # a perpetual's figures are there
    assert quote.next_funding_ms is not None


def test_bars_when_read_twice_then_the_same_candles_the_forming_one_moved_on() -> None:
    ex = rising()
    ex.advance(timedelta(minutes=12))
    first = ex.bars(Category.LINEAR, "SOLUSDT", FIVE, 3)
    ex.advance(timedelta(minutes=4))  # 00:16: the 00:10 candle closed at 102.00, 00:15 forming at 103.00
    second = ex.bars(Category.LINEAR, "SOLUSDT", FIVE, 3)
    assert second[0] == first[1]  # finished: unchanged
    assert (first[2].volume, second[1].volume) == (D(100_000) * 2 / 5, D(100_000))  # 2 of 5 minutes, then all
    assert second[-1].ohlc[3] == D("103.00")
