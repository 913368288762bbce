"""Candle series as continuous price paths: the price at any moment, its range and the volume traded."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

from hedgesim.clock import to_ms
from hedgesim.marketdata import Candle

ZERO = Decimal(0)
DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class Piece:
    """A straight stretch of a price path from (start, p0) to (end, p1) during which ``volume`` traded."""

    start: int
    end: int
    p0: Decimal
    p1: Decimal
    volume: Decimal


@dataclass(frozen=True, slots=True)
class Bar:
    """A candle built from the path: start (ms), (open, high, low, close), base volume, quote turnover."""

    start: int
    ohlc: tuple[Decimal, Decimal, Decimal, Decimal]
    volume: Decimal
    turnover: Decimal


@dataclass(frozen=True, slots=True)
class WindowStats:
    """Rolling-window figures for a ticker: first price, extremes, base volume and quote turnover."""

    open: Decimal
    high: Decimal
    low: Decimal
    volume: Decimal
    turnover: Decimal


class PricePath:
    """A candle series replayed as a path: within each bar open -> nearer extreme -> other extreme -> close.

    Each bar's three legs take a third of its interval; its volume trades evenly over the bar. Before the first
    bar the path holds the first open, in a missing bar or after the last one it holds the previous close, with
    no volume. Times are epoch milliseconds of market (historical) time.
    """

    def __init__(self, candles: Sequence[Candle], interval_ms: int) -> None:
        if not candles:
            raise ValueError("a price path needs at least one candle")
        self._candles = candles
        self._opens = [to_ms(c.open_time) for c in candles]
        self._interval = interval_ms
        self._window_cache: dict[tuple[int, int], WindowStats] = {}
        self._bar_cache: dict[tuple[int, int], Bar] = {}  # (interval, start) -> a finished candle

    @property
    def start_ms(self) -> int:
        return self._opens[0]

    @property
    def end_ms(self) -> int:
        return self._opens[-1] + self._interval

    @property
    def interval_ms(self) -> int:
        return self._interval

    def price(self, ms: int) -> Decimal:
        index = bisect_right(self._opens, ms) - 1
        if index < 0:
            return self._candles[0].open
        offset = ms - self._opens[index]
        if offset >= self._interval:
            return self._candles[index].close
        return _interpolate(self._vertices(index), offset)

    def pieces(self, ms0: int, ms1: int) -> Iterator[Piece]:
        """The path between ``ms0`` and ``ms1`` as straight pieces, in time order."""
        if ms1 <= ms0:
            return
        index = max(bisect_right(self._opens, ms0) - 1, 0)
        cursor = ms0
        while cursor < ms1:
            if index >= len(self._candles) or cursor < self._opens[index]:
                # before the first bar, in a missing bar, or after the last: hold, no trading
                stop = ms1 if index >= len(self._candles) else min(ms1, self._opens[index])
                held = self.price(cursor)
                yield Piece(cursor, stop, held, held, ZERO)
                cursor = stop
                continue
            bar_start = self._opens[index]
            bar_end = bar_start + self._interval
            if cursor >= bar_end:
                index += 1
                continue
            vertices = self._vertices(index)
            volume = self._candles[index].volume
            for (t0, _), (t1, _) in pairwise(vertices):
                a, b = max(t0, cursor - bar_start), min(t1, ms1 - bar_start)
                if a < b:
                    # volume so far at each end, subtracted: the pieces of a whole bar add up to its volume exactly
                    traded = volume * b / self._interval - volume * a / self._interval
                    yield Piece(
                        bar_start + a, bar_start + b, _interpolate(vertices, a), _interpolate(vertices, b), traded
                    )
            cursor = min(bar_end, ms1)
            index += 1

    def range(self, ms0: int, ms1: int) -> tuple[Decimal, Decimal]:
        """Lowest and highest price on the path from ``ms0`` to ``ms1`` (both included)."""
        low = high = self.price(ms0)
        for piece in self.pieces(ms0, ms1):
            low = min(low, piece.p0, piece.p1)
            high = max(high, piece.p0, piece.p1)
        return low, high

    def volume_through(self, ms0: int, ms1: int, level: Decimal, below: bool) -> Decimal:
        """Volume traded while the price was strictly below (or above) ``level``: what a resting order can take."""
        total = ZERO
        for piece in self.pieces(ms0, ms1):
            total += piece.volume * _share_through(piece.p0, piece.p1, level, below)
        return total

    def window(self, ms: int, window_ms: int = DAY_MS) -> WindowStats:
        """Figures over the ``window_ms`` ending at ``ms`` (Bybit's 24 h ticker fields)."""
        start = max(ms - window_ms, self.start_ms)
        bar = bisect_right(self._opens, ms) - 1
        whole = self._whole_bars(bar, window_ms)  # complete bars strictly inside the window, cached per bar
        first = self.price(start)
        edge = self._opens[bar] if 0 <= bar < len(self._opens) else ms
        pieces = list(self.pieces(max(edge, start), ms))  # the bar in progress
        prices = [first, self.price(ms), *(p for piece in pieces for p in (piece.p0, piece.p1))]
        volume = sum((piece.volume for piece in pieces), ZERO)
        turnover = sum((piece.volume * (piece.p0 + piece.p1) / 2 for piece in pieces), ZERO)
        if whole is not None:
            prices += [whole.low, whole.high]
            volume, turnover = whole.volume + volume, whole.turnover + turnover
        return WindowStats(first, max(prices), min(prices), volume, turnover)

    def bars(self, interval_ms: int, end_ms: int, limit: int, start_ms: int | None = None) -> list[Bar]:
        """Candles of ``interval_ms`` (a multiple of the series' own) up to ``end_ms``, newest first; the last
        one is still forming (its close is the price at ``end_ms``)."""
        if interval_ms % self._interval:
            raise ValueError(f"interval {interval_ms} ms is not a multiple of the data's {self._interval} ms")
        last = end_ms // interval_ms * interval_ms
        first = last - (limit - 1) * interval_ms
        if start_ms is not None:
            first = max(first, start_ms // interval_ms * interval_ms)
        bars = []
        for bucket in range(max(first, self.start_ms // interval_ms * interval_ms), last + 1, interval_ms):
            stop = min(bucket + interval_ms, end_ms)
            whole = stop == bucket + interval_ms  # a finished candle never changes: built once
            bar = self._bar_cache.get((interval_ms, bucket)) if whole else None
            if bar is None:
                bar = self._bar(bucket, stop)
                if whole:
                    if len(self._bar_cache) > 65_536:
                        self._bar_cache.clear()
                    self._bar_cache[(interval_ms, bucket)] = bar
            bars.append(bar)
        return bars[::-1]

    def _bar(self, bucket: int, stop: int) -> Bar:
        pieces = list(self.pieces(bucket, stop))
        prices = [p for piece in pieces for p in (piece.p0, piece.p1)] or [self.price(bucket)]
        turnover = sum((piece.volume * (piece.p0 + piece.p1) / 2 for piece in pieces), ZERO)
        volume = sum((piece.volume for piece in pieces), ZERO)
        return Bar(bucket, (prices[0], max(prices), min(prices), prices[-1]), volume, turnover)

    def _whole_bars(self, bar: int, window_ms: int) -> WindowStats | None:
        if bar <= 0:
            return None
        key = (bar, window_ms)
        cached = self._window_cache.get(key)
        if cached is None:
            first = bisect_right(self._opens, self._opens[bar] - window_ms)
            bars = self._candles[first:bar]
            if not bars:
                return None
            cached = WindowStats(
                open=bars[0].open,
                high=max(c.high for c in bars),
                low=min(c.low for c in bars),
                volume=sum((c.volume for c in bars), ZERO),
                turnover=sum((c.volume * (c.open + c.high + c.low + c.close) / 4 for c in bars), ZERO),
            )
            if len(self._window_cache) > 4096:
                self._window_cache.clear()
            self._window_cache[key] = cached
        return cached

    def _vertices(self, index: int) -> tuple[tuple[int, Decimal], ...]:
        bar = self._candles[index]
        third = self._interval // 3
        low_first = bar.open - bar.low <= bar.high - bar.open
        first, second = (bar.low, bar.high) if low_first else (bar.high, bar.low)
        return ((0, bar.open), (third, first), (2 * third, second), (self._interval, bar.close))


def _interpolate(vertices: tuple[tuple[int, Decimal], ...], offset: int) -> Decimal:
    for (t0, p0), (t1, p1) in pairwise(vertices):
        if offset <= t1:
            if offset <= t0 or p0 == p1:
                return p0
            return p0 + (p1 - p0) * (offset - t0) / (t1 - t0)
    return vertices[-1][1]


def _share_through(p0: Decimal, p1: Decimal, level: Decimal, below: bool) -> Decimal:
    """The share of a straight piece from p0 to p1 spent strictly below (or above) ``level``."""
    if not below:
        p0, p1, level = -p0, -p1, -level
    if p0 >= level and p1 >= level:
        return ZERO
    if p0 < level and p1 < level:
        return Decimal(1)
    return (level - min(p0, p1)) / abs(p1 - p0)
