"""Specification of contract sizing (lot, rounding, cap, band, minimums, slices) and passive pricing."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from bot.core.planner.pricing import BookProblem, Touch, read_touch, reprice_reason
from bot.core.planner.sizing import (
    below_minimum,
    cap_contracts,
    max_order_contracts,
    out_of_band,
    rounded_target,
    slices,
)
from bot.domain import OrderBook, ReasonCode, Rounding, Side
from tests.core.factories import default_params, our_order, sol_book
from tests.factories import NOW, btc_mini_contract_market, perp_ticker, sol_perp_market

D = Decimal
SEED_CONTRACTS = D(10000) / (D("0.1") * D(60000))  # the seed: $10,000 in 0.1 BTC contracts at $60,000


def test_seed_example_when_sized_then_1_67_contracts() -> None:
    assert round(SEED_CONTRACTS, 2) == D("1.67")


@pytest.mark.parametrize(
    ("rounding", "max_ratio", "expected"),
    [
        (Rounding.DOWN, "1", "-1"),  # the default: never over-hedge
        (Rounding.UP, "1.5", "-2"),  # a slight over-hedge ($12,000), allowed by a 1.5 cap
        (Rounding.UP, "1", "-1"),  # ...but never beyond max_hedge_ratio: the cap rounds toward zero
        (Rounding.NEAREST, "1.5", "-2"),
        (Rounding.NEAREST, "1", "-1"),
    ],
)
def test_rounded_target_when_seed_example_then_1_down_2_up_within_the_cap(
    rounding: Rounding, max_ratio: str, expected: str
) -> None:
    raw = -SEED_CONTRACTS  # ratio 1: the target is the full hedge
    assert rounded_target(raw, raw, btc_mini_contract_market(), rounding, D(max_ratio)) == D(expected)


@pytest.mark.parametrize(
    ("raw", "full", "max_ratio", "expected"),
    [
        ("-45.67", "-91.34", "1", "-45.6"),  # SOL lot 0.1, toward zero
        ("0.5", "0", "1", "0"),  # never long
        ("-95", "-50", "1", "-50"),  # a target beyond the cap (full x max ratio) is held at the cap
        ("-0.05", "-0.05", "1", "0"),  # less than one lot
    ],
)
def test_rounded_target_when_raw_target_then_on_the_lot_never_long_never_beyond_cap(
    raw: str, full: str, max_ratio: str, expected: str
) -> None:
    assert rounded_target(D(raw), D(full), sol_perp_market(), Rounding.DOWN, D(max_ratio)) == D(expected)


@pytest.mark.parametrize(
    ("full", "max_ratio", "expected"), [("-100", "1.5", "-150"), ("-10.07", "1", "-10"), ("0", "1", "0")]
)
def test_cap_contracts_when_full_hedge_given_then_max_ratio_times_it_toward_zero(
    full: str, max_ratio: str, expected: str
) -> None:
    assert cap_contracts(D(full), sol_perp_market(), D(max_ratio)) == D(expected)


@pytest.mark.parametrize(
    ("gap", "target", "threshold", "expected"),
    [
        ("0", "-100", "0.05", False),
        ("-5", "-100", "0.05", False),  # exactly at the band: not beyond it
        ("-5.1", "-100", "0.05", True),
        ("3", "-100", "0.025", True),  # while rebalancing the threshold is band x hysteresis
        ("0.1", "0", "0.05", True),  # any gap to a zero target (an unwind) is out of band
    ],
)
def test_out_of_band_when_gap_relative_to_target_then_acts_only_beyond_threshold(
    gap: str, target: str, threshold: str, expected: bool
) -> None:
    assert out_of_band(D(gap), D(target), D(threshold)) is expected


@pytest.mark.parametrize(
    ("contracts", "price", "reduce_only", "problem"),
    [
        ("0.1", "150", False, None),
        ("0.05", "150", False, "minimum quantity 0.1"),
        ("0.1", "40", False, "4.00 is below the minimum order notional 5"),  # 0.1 SOL x 40 = 4 USDT
        ("0.1", "40", True, None),  # reduce-only: exempt from the minimum notional (Bybit, Binance)...
        ("0.05", "40", True, "minimum quantity 0.1"),  # ...never from the minimum quantity
    ],
)
def test_below_minimum_when_order_small_then_names_the_minimum(
    contracts: str, price: str, reduce_only: bool, problem: str | None
) -> None:
    result = below_minimum(D(contracts), D(price), sol_perp_market(), reduce_only=reduce_only)
    assert result is None if problem is None else problem in (result or "")


def test_max_order_contracts_when_notional_cap_then_lot_multiple_below_it() -> None:
    assert max_order_contracts(D(2000), D(150), sol_perp_market()) == D("13.3")  # 2000 / 150 = 13.33


@pytest.mark.parametrize(
    ("contracts", "largest", "expected"),
    [
        ("40", "13.3", ["10", "10", "10", "10"]),  # 4 slices, even
        ("26.7", "13.3", ["8.9", "8.9", "8.9"]),  # 3 even slices rather than 13.3 + 13.3 + 0.1
        ("13.3", "13.3", ["13.3"]),
        ("13.4", "13.3", ["6.7", "6.7"]),
        ("0.3", "0.2", ["0.2", "0.1"]),  # lots that do not split evenly: the first slices take one more
    ],
)
def test_slices_when_order_above_max_then_fewest_even_slices(contracts: str, largest: str, expected: list[str]) -> None:
    assert slices(D(contracts), D(largest), sol_perp_market()) == [D(q) for q in expected]


TOUCH = Touch(bid=D("149.99"), ask=D("150.00"), bid_depth=D(500), ask_depth=D(500), mark=D(150))


@pytest.mark.parametrize(
    ("side", "offset", "expected"),
    [(Side.SELL, 0, "150.00"), (Side.SELL, 2, "150.02"), (Side.BUY, 0, "149.99"), (Side.BUY, 3, "149.96")],
)
def test_passive_price_when_side_and_offset_then_at_or_behind_own_touch(side: Side, offset: int, expected: str) -> None:
    assert TOUCH.passive_price(side, D("0.01"), offset) == D(expected)


def _stale(book: OrderBook) -> OrderBook:
    return replace(book, timestamp=NOW - timedelta(seconds=16))


@pytest.mark.parametrize(
    ("book", "ticker_age", "reason", "note_part"),
    [
        (None, 0, ReasonCode.NO_BOOK, "no order book"),
        (replace(sol_book(), asks=()), 0, ReasonCode.NO_BOOK, "one-sided"),
        (sol_book(bid="150.01", ask="150.00"), 0, ReasonCode.NO_BOOK, "crossed"),
        (_stale(sol_book()), 0, ReasonCode.STALE_PRICE, "order book is 16s old"),
        (sol_book(), 16, ReasonCode.STALE_PRICE, "ticker is 16s old"),
    ],
)
def test_read_touch_when_book_unusable_then_problem_with_reason(
    book: OrderBook | None, ticker_age: int, reason: ReasonCode, note_part: str
) -> None:
    ticker = replace(perp_ticker("SOL/USDT:USDT", "150"), timestamp=NOW - timedelta(seconds=ticker_age))
    problem = read_touch(book, ticker, NOW, timedelta(seconds=15))
    assert isinstance(problem, BookProblem)
    assert problem.reason is reason
    assert note_part in problem.note


def test_read_touch_when_book_usable_then_touch_depth_and_mark() -> None:
    touch = read_touch(sol_book(size="100"), perp_ticker("SOL/USDT:USDT", "150"), NOW, timedelta(seconds=15))
    assert touch == Touch(bid=D("149.99"), ask=D("150.00"), bid_depth=D(500), ask_depth=D(500), mark=D(150))


@pytest.mark.parametrize(
    ("order_price", "age_seconds", "new_price", "why"),
    [
        ("150.00", 10, "150.00", None),  # still at the touch
        ("150.00", 10, "150.07", None),  # 4.7 bps: within 5
        ("150.00", 10, "149.90", "moved 6.7 bps"),
        ("150.00", 121, "150.00", "older than order_ttl (120s)"),
    ],
)
def test_reprice_reason_when_touch_moved_or_order_old_then_reprice(
    order_price: str, age_seconds: int, new_price: str, why: str | None
) -> None:
    order = our_order(Side.SELL, "10", order_price, age=timedelta(seconds=age_seconds))
    result = reprice_reason(order, D(new_price), NOW, default_params())
    assert result is None if why is None else why in (result or "")
