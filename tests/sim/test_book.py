"""Specification of the synthetic order book: spread on the tick, depth per level, takers walking it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hedgesim.book import Level, Take, depth, touch, walk, with_resting
from hedgesim.instruments import DEEP_BOOK, THIN_BOOK, Category, perp_instrument
from tests.sim.factories import D, exchange, flat_sample

SOL = perp_instrument("SOL", D(100))  # tick 0.01, lot 0.1, medium book: 1 bp spread, 25 000 USDT at the touch


@pytest.mark.parametrize(
    ("base", "price", "bid", "ask"),
    [
        ("SOL", "100", "99.99", "100.01"),  # half a basis point each side, floored/ceiled onto the 0.01 tick
        ("SOL", "100.004", "99.99", "100.01"),
        ("BTC", "60000.05", "60000.0", "60000.1"),  # deep book: one 0.1 tick wide
    ],
)
def test_touch_when_price_between_ticks_then_spread_on_the_tick(base: str, price: str, bid: str, ask: str) -> None:
    assert touch(D(price), perp_instrument(base, D(price))) == (D(bid), D(ask))


def test_depth_when_medium_book_then_levels_one_tick_apart_growing_by_a_quarter() -> None:
    bids, asks = depth(D(100), SOL, 2)
    # 25 000 USDT / 99.99 = 250.02 -> 250.0; 31 250 / 99.98 = 312.56 -> 312.5 (rounded down to the 0.1 lot)
    assert bids == [Level(D("99.99"), D("250.0")), Level(D("99.98"), D("312.5"))]
    # 25 000 / 100.01 = 249.97 -> 249.9; 31 250 / 100.02 = 312.43 -> 312.4
    assert asks == [Level(D("100.01"), D("249.9")), Level(D("100.02"), D("312.4"))]


@pytest.mark.parametrize(
    ("qty", "limit", "takes"),
    [
        ("10", "101", [("100.01", "10")]),
        ("400", "101", [("100.01", "249.9"), ("100.02", "150.1")]),  # walks into the second level: slippage
        ("400", "100.01", [("100.01", "249.9")]),  # a limit stops the walk
        ("400", "100", []),  # below the ask: nothing to take
    ],
)
def test_walk_when_buying_then_fills_best_levels_first_up_to_the_limit(
    qty: str, limit: str, takes: list[tuple[str, str]]
) -> None:
    assert walk(D(100), SOL, True, D(qty), D(limit), {}) == [Take(D(p), D(q)) for p, q in takes]


def test_walk_when_liquidity_was_taken_then_the_next_taker_finds_less() -> None:
    consumed: dict[Decimal, Decimal] = {}
    walk(D(100), SOL, False, D("200"), D(0), consumed)
    second = walk(D(100), SOL, False, D("100"), D(0), consumed)
    assert second == [Take(D("99.99"), D("50.0")), Take(D("99.98"), D("50"))]


def test_walk_when_spending_quote_then_whole_lots_within_the_budget() -> None:
    # 1000.1 USDT at 100.01 buys exactly 10.0 SOL
    assert walk(D(100), SOL, True, D("1000.1"), D(101), {}, by_value=True) == [Take(D("100.01"), D("10.0"))]


def test_with_resting_when_own_order_inside_the_spread_then_it_becomes_the_best_bid() -> None:
    bids, _ = depth(D(100), SOL, 2)
    merged = with_resting(bids, {D("100.00"): D(3)}, buy_side=True)
    assert merged == [Level(D("100.00"), D(3)), Level(D("99.99"), D("250.0"))]


def test_profiles_when_compared_then_btc_like_books_are_deeper_than_altcoin_like_ones() -> None:
    assert DEEP_BOOK.touch_notional > THIN_BOOK.touch_notional * 50
    assert DEEP_BOOK.spread_bps < THIN_BOOK.spread_bps


def test_order_book_when_the_top_was_read_then_a_deeper_book_and_a_gap_at_the_same_moment_then_the_market_s_levels():
    """A book's levels are made once per price and reused (a moment's book is read by quotes, tickers and the book):
    a deeper read, or a price that gapped without the clock moving, still shows the synthetic book of that price."""
    ex = exchange(flat_sample(), sol="10")
    instrument = ex.venue.instrument(Category.LINEAR, "SOLUSDT")

    def market_levels(count: int) -> tuple[list[Level], list[Level]]:
        return depth(ex.venue.market.last(Category.LINEAR, "SOL", ex.now_ms()), instrument, count)

    top = ex.quote(Category.LINEAR, "SOLUSDT")
    book = ex.order_book(Category.LINEAR, "SOLUSDT", 20)
    assert (top.bid, top.ask) == (book.bids[0], book.asks[0])
    assert (book.bids, book.asks) == market_levels(20)
    ex.gap("SOL", D("-0.1"))
    gapped = ex.order_book(Category.LINEAR, "SOLUSDT", 20)
    assert (gapped.bids, gapped.asks) == market_levels(20)
    assert gapped.asks[0].price < book.bids[0].price
