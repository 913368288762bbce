"""Liquidation price estimates for a linear perpetual position, isolated or cross margin (pure maths).

A position of size Q (base units) with cost basis B (sum of size x price of what built it) is liquidated at
the price P where its equity falls to the maintenance margin m x Q x P.

- Isolated: the margin posted is B / L (leverage L). Equity at P is B/L + sign x (Q P - B), so
  short: P = (B/Q) (1 + 1/L) / (1 + m);   long: P = (B/Q) (1 - 1/L) / (1 - m).
- Cross: the account equity C backs the position (C already includes today's unrealised PnL, so the
  existing position enters B at the mark price). Equity at P is C + sign x (Q P - B), so
  short: P = (C + B) / (Q (1 + m));   long: P = (B - C) / (Q (1 - m)).

A long whose estimate is at or below zero cannot be liquidated by a price move: ``None``. Fees, funding and
the venue's tiered maintenance rates are ignored: the risk gate keeps a wide distance (30 % by default), far
larger than what they move.
"""

from __future__ import annotations

from decimal import Decimal

from bot.domain import ONE, MarginMode


def liquidation_price(
    *,
    size: Decimal,
    cost: Decimal,
    maintenance_margin_rate: Decimal,
    margin_mode: MarginMode,
    leverage: Decimal,
    equity: Decimal,
) -> Decimal | None:
    """Estimated liquidation price of a position of signed ``size`` (base units, short < 0) and basis ``cost``.

    ``leverage`` is used for isolated margin, ``equity`` (the account's collateral available to this position)
    for cross margin.
    """
    if size == 0:
        return None
    quantity = abs(size)
    m = maintenance_margin_rate
    short = size < 0
    if margin_mode is MarginMode.ISOLATED:
        if leverage <= 0:
            raise ValueError(f"leverage must be positive, got {leverage}")
        entry = cost / quantity
        price = entry * (ONE + ONE / leverage) / (ONE + m) if short else entry * (ONE - ONE / leverage) / (ONE - m)
    else:
        price = (equity + cost) / (quantity * (ONE + m)) if short else (cost - equity) / (quantity * (ONE - m))
    if price <= 0:
        # A long this well collateralised survives a fall to zero; a short cannot have a non-positive one.
        if short:
            raise ValueError(f"a short with equity {equity} and cost {cost} has no liquidation price")
        return None
    return price


def liquidation_distance(liquidation: Decimal | None, mark: Decimal) -> Decimal | None:
    """How far the mark must move (as a fraction of the mark) to reach ``liquidation``; ``None`` if never."""
    if liquidation is None:
        return None
    return abs(liquidation - mark) / mark
