"""The simulator's own enumerations of order side and margin mode (Bybit renders them as "Buy"/"Sell", ...)."""

from __future__ import annotations

from enum import StrEnum


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        """+1 for a buy (adds to a long, shrinks a short), -1 for a sell."""
        return 1 if self is Side.BUY else -1


class MarginMode(StrEnum):
    """The unified account's margin mode: isolated per position, or cross (all USDT backs every position)."""

    ISOLATED = "isolated"
    CROSS = "cross"
