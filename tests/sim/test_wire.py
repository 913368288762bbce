"""Specification of how the simulator writes numbers in Bybit's replies (plain text, at most ten decimals)."""

from __future__ import annotations

import decimal
from decimal import Decimal

import pytest

from hedgesim.bybit.wire import num


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("63.914739356250"), "63.9147393562"),  # ten decimals, half to even
        (Decimal("63.914739356350"), "63.9147393564"),
        (Decimal("206.480"), "206.48"),
        (Decimal("1E-5"), "0.00001"),
        (Decimal("-0"), "0"),
        (7, "7"),
        (None, ""),
    ],
)
def test_num_when_the_clients_library_changed_the_decimal_context_then_the_same_text(
    value: Decimal | int | None, text: str
) -> None:
    with decimal.localcontext(decimal.Context(rounding=decimal.ROUND_HALF_UP)):  # what ccxt does to the thread
        assert num(value) == text
