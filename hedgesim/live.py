"""A market fed from outside: a live venue's book, trades, marks and funding, as they are observed.

``LiveMarket`` is the ``MarketSource`` of a paper venue (hedgebot's dry-run): an ``Exchange`` over it fills orders
by the simulator's own rules against what the real venue shows. A post-only order that would cross the observed
touch is cancelled; a resting order fills only from trades observed strictly through its price, at most the
venue's participation share of their volume (partially, when they are few); takers walk the observed book.
Funding settles at the next funding time the venue announced, at the rate it showed last before it; a settlement
the observations skipped (the bot was stopped) is settled every announced interval at the last rate known.

Prices at a moment are the last observed at or before it (the earliest observation before any). Observations are
kept until ``forget_before``; a market with nothing observed about an asset raises ``MarketDataError``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from typing import Any, TypeVar

from hedgesim.book import Level
from hedgesim.errors import MarketDataError
from hedgesim.instruments import Category, Instrument

ZERO = Decimal(0)
NEVER_MS = 2**62  # no funding announced: no settlement
DEFAULT_STEP_MS = 1_000

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Trade:
    """One public trade: when, at what price, how much (base units). ``trade_id`` tells repeats apart."""

    trade_id: str
    time_ms: int
    price: Decimal
    qty: Decimal


@dataclass(frozen=True, slots=True)
class Ticker:
    """A perpetual's prices and funding as the venue showed them at ``time_ms``."""

    time_ms: int
    last: Decimal
    mark: Decimal
    index: Decimal | None = None
    funding_rate: Decimal | None = None
    next_funding_ms: int | None = None
    funding_interval_ms: int = 8 * 3_600_000


@dataclass(frozen=True, slots=True)
class Book:
    """The top of a book at ``time_ms``: bids and asks, best first."""

    time_ms: int
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]


@dataclass
class _Asset:
    """What has been observed of one (category, base asset)."""

    trades: list[Trade] = field(default_factory=list)  # by (time, id)
    trade_ids: set[str] = field(default_factory=set)
    tickers: list[Ticker] = field(default_factory=list)  # by time
    book: Book | None = None


class LiveMarket:
    """A ``MarketSource`` built from observations (see the module docstring)."""

    def __init__(self, step_ms: int = DEFAULT_STEP_MS) -> None:
        self._step_ms = step_ms
        self._assets: dict[tuple[Category, str], _Asset] = {}

    # observing ----------------------------------------------------------------------------------------------

    def observe_trades(self, category: Category, base: str, trades: Iterable[Trade]) -> int:
        """Record public trades (repeats ignored); returns how many were new."""
        asset = self._asset(category, base)
        new = [t for t in trades if t.trade_id not in asset.trade_ids]
        for trade in new:
            asset.trade_ids.add(trade.trade_id)
        if new:
            asset.trades = sorted([*asset.trades, *new], key=lambda t: (t.time_ms, t.trade_id))
        return len(new)

    def observe_ticker(self, base: str, ticker: Ticker) -> None:
        asset = self._asset(Category.LINEAR, base)
        times = [t.time_ms for t in asset.tickers]
        asset.tickers.insert(bisect_right(times, ticker.time_ms), ticker)

    def observe_book(self, category: Category, base: str, book: Book) -> None:
        asset = self._asset(category, base)
        if asset.book is None or book.time_ms >= asset.book.time_ms:
            asset.book = book

    def forget_before(self, exchange_ms: int) -> None:
        """Drop trades and tickers older than ``exchange_ms`` (keeping the last ticker before it)."""
        for asset in self._assets.values():
            kept = [t for t in asset.trades if t.time_ms >= exchange_ms]
            asset.trade_ids = {t.trade_id for t in kept}
            asset.trades = kept
            earlier = [t for t in asset.tickers if t.time_ms < exchange_ms]
            asset.tickers = earlier[-1:] + [t for t in asset.tickers if t.time_ms >= exchange_ms]

    def last_tickers(self) -> dict[str, Ticker]:
        """The latest ticker of each perpetual (what a paper venue keeps across restarts)."""
        return {base: a.tickers[-1] for (cat, base), a in self._assets.items() if cat is Category.LINEAR and a.tickers}

    def book(self, category: Category, base: str) -> Book | None:
        asset = self._assets.get((category, base))
        return asset.book if asset else None

    # the MarketSource ---------------------------------------------------------------------------------------

    def listed(self, category: Category) -> list[str]:
        return sorted(base for cat, base in self._assets if cat is category)

    def last(self, category: Category, base: str, exchange_ms: int) -> Decimal:
        asset = self._known(category, base)
        candidates: list[tuple[int, Decimal]] = []
        if asset.trades:
            trade = _at(asset.trades, [t.time_ms for t in asset.trades], exchange_ms)
            candidates.append((trade.time_ms, trade.price))
        if asset.tickers:
            ticker = self._ticker(asset, exchange_ms)
            candidates.append((ticker.time_ms, ticker.last))
        if not candidates:
            raise MarketDataError(f"no price of {base} ({category}) has been observed")
        at_or_before = [c for c in candidates if c[0] <= exchange_ms]
        return max(at_or_before or candidates, key=lambda c: c[0])[1]

    def mark(self, base: str, exchange_ms: int) -> Decimal:
        return self._ticker(self._known(Category.LINEAR, base), exchange_ms).mark

    def index(self, base: str, exchange_ms: int) -> Decimal:
        ticker = self._ticker(self._known(Category.LINEAR, base), exchange_ms)
        return ticker.index if ticker.index is not None else ticker.mark

    def touch(self, instrument: Instrument, exchange_ms: int) -> tuple[Decimal, Decimal]:
        book = self._book(instrument)
        if not book.bids or not book.asks:
            raise MarketDataError(f"the observed book of {instrument.name} is one-sided")
        return book.bids[0].price, book.asks[0].price

    def levels(self, instrument: Instrument, exchange_ms: int, buy_side: bool) -> Iterator[Level]:
        book = self._book(instrument)
        return iter(book.bids if buy_side else book.asks)

    def top_levels(self, instrument: Instrument, exchange_ms: int, buy_side: bool, count: int) -> list[Level]:
        return list(islice(self.levels(instrument, exchange_ms, buy_side), count))

    def range(self, category: Category, base: str, ms0: int, ms1: int) -> tuple[Decimal, Decimal]:
        prices = [t.price for t in self._between(category, base, ms0, ms1)]
        if not prices:
            price = self.last(category, base, ms1)
            return price, price
        return min(prices), max(prices)

    def mark_range(self, base: str, ms0: int, ms1: int) -> tuple[Decimal, Decimal]:
        asset = self._known(Category.LINEAR, base)
        marks = [self.mark(base, ms0), *(t.mark for t in asset.tickers if ms0 < t.time_ms <= ms1)]
        return min(marks), max(marks)

    def volume_through(self, category: Category, base: str, ms0: int, ms1: int, level: Decimal, below: bool) -> Decimal:
        trades = self._between(category, base, ms0, ms1)
        return sum((t.qty for t in trades if (t.price < level if below else t.price > level)), ZERO)

    def next_funding(self, base: str, exchange_ms: int) -> tuple[int, Decimal]:
        asset = self._assets.get((Category.LINEAR, base))
        announced = [t for t in asset.tickers if t.next_funding_ms is not None] if asset else []
        if not announced:
            return NEVER_MS, ZERO
        known = [t for t in announced if t.time_ms <= exchange_ms] or announced[:1]
        ticker = known[-1]
        assert ticker.next_funding_ms is not None
        moment = ticker.next_funding_ms
        if moment <= exchange_ms:  # announced, then passed without a newer announcement: every interval after it
            intervals = (exchange_ms - moment) // ticker.funding_interval_ms + 1
            moment += intervals * ticker.funding_interval_ms
        return moment, ticker.funding_rate or ZERO

    def public_ms(self, base: str, exchange_ms: int) -> int:
        return exchange_ms

    def step_ms(self) -> int:
        return self._step_ms

    # persistence --------------------------------------------------------------------------------------------

    def dump(self) -> dict[str, Any]:
        """The latest ticker of each perpetual, JSON-ready: enough to value positions again after a restart."""
        return {base: _ticker_fields(ticker) for base, ticker in sorted(self.last_tickers().items())}

    def load(self, data: Mapping[str, Mapping[str, Any]]) -> None:
        for base, fields in data.items():
            self.observe_ticker(base, _ticker_from(fields))

    # helpers ------------------------------------------------------------------------------------------------

    def _asset(self, category: Category, base: str) -> _Asset:
        return self._assets.setdefault((category, base), _Asset())

    def _known(self, category: Category, base: str) -> _Asset:
        asset = self._assets.get((category, base))
        if asset is None:
            raise MarketDataError(f"nothing about {base} ({category}) has been observed")
        return asset

    def _ticker(self, asset: _Asset, exchange_ms: int) -> Ticker:
        if not asset.tickers:
            raise MarketDataError("no ticker has been observed")
        return _at(asset.tickers, [t.time_ms for t in asset.tickers], exchange_ms)

    def _book(self, instrument: Instrument) -> Book:
        book = self.book(instrument.category, instrument.base)
        if book is None:
            raise MarketDataError(f"no book of {instrument.name} has been observed")
        return book

    def _between(self, category: Category, base: str, ms0: int, ms1: int) -> Sequence[Trade]:
        """Trades after ``ms0`` up to ``ms1`` included."""
        asset = self._assets.get((category, base))
        if asset is None:
            return ()
        times = [t.time_ms for t in asset.trades]
        return asset.trades[bisect_right(times, ms0) : bisect_right(times, ms1)]


def _at(rows: Sequence[T], times: Sequence[int], exchange_ms: int) -> T:
    """The last row at or before ``exchange_ms``, or the first one when all are later."""
    index = bisect_right(times, exchange_ms) - 1
    return rows[max(index, 0)]


def _ticker_fields(ticker: Ticker) -> dict[str, Any]:
    def text(value: Decimal | None) -> str | None:
        return None if value is None else str(value)

    return {
        "time_ms": ticker.time_ms,
        "last": str(ticker.last),
        "mark": str(ticker.mark),
        "index": text(ticker.index),
        "funding_rate": text(ticker.funding_rate),
        "next_funding_ms": ticker.next_funding_ms,
        "funding_interval_ms": ticker.funding_interval_ms,
    }


def _ticker_from(fields: Mapping[str, Any]) -> Ticker:
    def number(key: str) -> Decimal | None:
        return None if fields.get(key) is None else Decimal(str(fields[key]))

    last, mark = number("last"), number("mark")
    if last is None or mark is None:
        raise MarketDataError(f"a saved ticker needs its last and mark prices: {dict(fields)}")
    return Ticker(
        time_ms=int(fields["time_ms"]),
        last=last,
        mark=mark,
        index=number("index"),
        funding_rate=number("funding_rate"),
        next_funding_ms=None if fields.get("next_funding_ms") is None else int(fields["next_funding_ms"]),
        funding_interval_ms=int(fields["funding_interval_ms"]),
    )
