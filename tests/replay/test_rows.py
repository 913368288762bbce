"""Specification of the replay port's conversions: what the ccxt adapter would read from the simulator's rows."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.replay import rows
from hedgesim.book import Level

D = Decimal


@pytest.mark.parametrize(
    ("price", "size"),
    [
        ("60123.4", "0.083"),  # a BTC-like level
        ("100.00", "1.000"),  # trailing zeros: ccxt's float writes 100.0 and 1.0
        ("0.0001234", "120000"),  # a tiny price on a fine tick, a large size
        ("0.00000001", "5E+3"),  # a finest tick; a size with an exponent
        ("123456789.5", "0.1"),
    ],
)
def test_book_side_when_levels_are_on_the_tick_and_lot_then_each_value_reads_as_exact_reads_it(
    price: str, size: str
) -> None:
    levels = [Level(D(price), D(size)), Level(D(price) * 3, D(size) * 7)]
    side = rows.book_side(levels)
    expected = [(str(rows.exact(level.price)), str(rows.exact(level.size))) for level in levels]
    assert [(str(level.price), str(level.size)) for level in side] == expected
