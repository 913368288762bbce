"""What the venue's trading, risk and account code reads from a market: the replayed one or one fed from outside.

``MarketSource`` is met by ``hedgesim.market.Market`` (real candles replayed on the exchange's clock, with a
synthetic book) and by ``hedgesim.live.LiveMarket`` (the book, trades, marks and funding of a live venue, as they
are observed: hedgebot's dry-run). The matching rules (``hedgesim.trading``), liquidation and funding
(``hedgesim.risk``) and the account's figures (``hedgesim.balances``) read prices through it only, so the same
rules fill orders against either.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Protocol

from hedgesim.book import Level
from hedgesim.instruments import Category, Instrument


class MarketSource(Protocol):
    """Prices, the book's touch and levels, traded ranges and volumes, and funding, by (category, base asset) and
    exchange milliseconds."""

    def listed(self, category: Category) -> list[str]:
        """Base assets with prices in ``category``, sorted."""
        ...

    def last(self, category: Category, base: str, exchange_ms: int) -> Decimal: ...

    def mark(self, base: str, exchange_ms: int) -> Decimal: ...

    def index(self, base: str, exchange_ms: int) -> Decimal: ...

    def touch(self, instrument: Instrument, exchange_ms: int) -> tuple[Decimal, Decimal]:
        """Best bid and best ask."""
        ...

    def levels(self, instrument: Instrument, exchange_ms: int, buy_side: bool) -> Iterator[Level]:
        """One side of the book, best first: bids (``buy_side``) or asks."""
        ...

    def top_levels(self, instrument: Instrument, exchange_ms: int, buy_side: bool, count: int) -> list[Level]:
        """The first ``count`` of ``levels`` (what a book view shows)."""
        ...

    def range(self, category: Category, base: str, ms0: int, ms1: int) -> tuple[Decimal, Decimal]:
        """Lowest and highest traded price between two moments."""
        ...

    def mark_range(self, base: str, ms0: int, ms1: int) -> tuple[Decimal, Decimal]: ...

    def volume_through(self, category: Category, base: str, ms0: int, ms1: int, level: Decimal, below: bool) -> Decimal:
        """Base volume traded strictly below (``below``) or above ``level`` between two moments."""
        ...

    def next_funding(self, base: str, exchange_ms: int) -> tuple[int, Decimal]:
        """The next funding settlement strictly after ``exchange_ms``: its exchange time and rate."""
        ...

    def public_ms(self, base: str, exchange_ms: int) -> int:
        """The moment public data for ``base`` shows (earlier than now when it is stale)."""
        ...

    def step_ms(self) -> int:
        """How finely the venue processes time: the longest step over which resting orders are matched at once."""
        ...
