"""Client order ids: deterministic, unique per run, and valid on every supported venue.

Format: ``hb`` + run id (6 base-36 chars) + cycle (base 36) + ``x`` + sequence within the cycle (base 36),
e.g. ``hb3k9x2a1fx0``. Alphanumeric and at most 32 characters: that satisfies Bybit's orderLinkId (36),
Binance's newClientOrderId (36) and OKX's clOrdId (32, alphanumeric only). The ``hb`` prefix is how the bot
tells its own orders from foreign ones on a shared account (``bot.domain.is_ours``).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from bot.domain import OUR_ORDER_PREFIX as PREFIX

__all__ = ["PREFIX", "ClientOrderIds", "base36", "run_id_for"]
MAX_LENGTH = 32
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def base36(value: int) -> str:
    if value < 0:
        raise ValueError("base36 of a negative number")
    out = ""
    while True:
        value, digit = divmod(value, 36)
        out = _DIGITS[digit] + out
        if value == 0:
            return out


def run_id_for(started_at: datetime, salt: str = "") -> str:
    """A 6-character run id derived from the run's start time (and an optional salt, e.g. the venue)."""
    digest = hashlib.sha256(f"{started_at.isoformat()}|{salt}".encode()).digest()
    return base36(int.from_bytes(digest[:8], "big"))[-6:].rjust(6, "0")


class ClientOrderIds:
    """Hands out ids for one run: the same run id, cycle and sequence always give the same id."""

    def __init__(self, run_id: str) -> None:
        if len(run_id) != 6 or not run_id.isalnum():
            raise ValueError(f"run id must be 6 alphanumeric characters, got {run_id!r}")
        self.run_id = run_id
        self._cycle = 0
        self._sequence = 0

    def start_cycle(self, cycle: int) -> None:
        if cycle < self._cycle:
            raise ValueError("cycles only move forward")
        self._cycle = cycle
        self._sequence = 0

    def next(self) -> str:
        order_id = f"{PREFIX}{self.run_id}{base36(self._cycle)}x{base36(self._sequence)}"
        if len(order_id) > MAX_LENGTH:
            raise ValueError(f"client order id {order_id!r} is longer than {MAX_LENGTH} characters")
        self._sequence += 1
        return order_id
