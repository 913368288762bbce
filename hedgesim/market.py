"""The replayed market: last, mark and index prices, funding and price faults, on the exchange's timeline."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from itertools import islice

from hedgesim import book
from hedgesim.book import Level
from hedgesim.clock import to_ms
from hedgesim.errors import MarketDataError
from hedgesim.instruments import Category, Instrument
from hedgesim.marketdata import Sample, Series
from hedgesim.paths import DAY_MS, PricePath, WindowStats

ZERO = Decimal(0)
MINUTE_MS = 60_000
DEFAULT_FUNDING_MS = 8 * 3_600_000
DEFAULT_FUNDING_RATE = Decimal("0.0001")  # Bybit's rate when the premium is zero (interest 0.01 % per 8 h)
TRADE_GRID_MS = 1_000  # public trades are printed once per exchange second (see ``Market.trades``)


@dataclass(frozen=True, slots=True)
class Timeline:
    """Maps exchange time to historical (market) time: ``market = market_start + speed x (t - exchange_start)``."""

    exchange_start_ms: int
    market_start_ms: int
    speed: float = 1.0

    def to_market(self, exchange_ms: int) -> int:
        return self.market_start_ms + round((exchange_ms - self.exchange_start_ms) * self.speed)

    def to_exchange(self, market_ms: int) -> int:
        return self.exchange_start_ms + round((market_ms - self.market_start_ms) / self.speed)


class FundingSchedule:
    """The funding rates of one perpetual, from a recorded funding series (rates in ``open``), and its interval.

    Settlements happen on the exchange's clock (``Market.next_funding``); each settles the rate the replayed
    market last recorded at or before that moment: past the last recorded settlement the last rate while the
    sample still has prices, zero once it has ended.
    """

    def __init__(self, series: Series | None, sample_end_ms: int) -> None:
        rows = [(_round_minute(to_ms(c.open_time)), c.open) for c in series.candles] if series else []
        self._times = [t for t, _ in rows]
        self._rates = [r for _, r in rows]
        gaps = [b - a for a, b in zip(self._times, self._times[1:], strict=False)]
        self.interval_ms = gaps[-1] if gaps else DEFAULT_FUNDING_MS
        self._end_ms = sample_end_ms

    def rate_at(self, market_ms: int) -> Decimal:
        """The rate a settlement at ``market_ms`` (market time) pays."""
        if market_ms > self._end_ms:
            return ZERO
        if not self._rates:
            return DEFAULT_FUNDING_RATE
        return self._rates[max(0, bisect_right(self._times, market_ms) - 1)]

    @property
    def interval_minutes(self) -> int:
        return self.interval_ms // MINUTE_MS


class MarkPath:
    """The mark price: the perpetual's trade path scaled to pass through every recorded mark open.

    A mark candle replayed on its own (open -> extreme -> extreme -> close over one or eight hours) would
    invent swings the 5-minute trades contradict; the recorded marks only set the premium over the trade price.
    Without a mark series the mark is the trade price.
    """

    def __init__(self, trades: PricePath, marks: Series | None) -> None:
        self._trades = trades
        self._times: list[int] = []
        self._ratios: list[Decimal] = []
        if marks is not None:
            for candle in marks.candles:
                moment = to_ms(candle.open_time)
                self._times.append(moment)
                self._ratios.append(candle.open / trades.price(moment))

    def ratio(self, ms: int) -> Decimal:
        if not self._times:
            return Decimal(1)
        index = bisect_right(self._times, ms)
        if index == 0:
            return self._ratios[0]
        if index == len(self._times):
            return self._ratios[-1]
        t0, t1 = self._times[index - 1], self._times[index]
        r0, r1 = self._ratios[index - 1], self._ratios[index]
        return r0 + (r1 - r0) * (ms - t0) / (t1 - t0)

    def price(self, ms: int) -> Decimal:
        return self._trades.price(ms) * self.ratio(ms)

    def range(self, ms0: int, ms1: int) -> tuple[Decimal, Decimal]:
        low, high = self._trades.range(ms0, ms1)
        r0, r1 = self.ratio(ms0), self.ratio(ms1)
        return low * min(r0, r1), high * max(r0, r1)


class Market:
    """Every replayed series of a sample, addressed by (category, base asset) and exchange milliseconds.

    Faults live here too: a price gap multiplies an asset's prices from the moment it is applied; frozen
    (stale) public data is answered as of the freeze moment while trading continues on live prices.
    """

    def __init__(self, sample: Sample, timeline: Timeline) -> None:
        self.sample = sample
        self.timeline = timeline
        self.end_ms = to_ms(sample.end)
        self._paths: dict[tuple[Category, str], PricePath] = {}
        self._marks: dict[str, MarkPath] = {}
        self._funding: dict[str, FundingSchedule] = {}
        for series in sample.series:
            if series.kind == "ohlcv" and series.candles:
                category = Category.SPOT if series.market == "spot" else Category.LINEAR
                interval = int(series.interval.total_seconds() * 1000)
                self._paths[(category, series.base)] = PricePath(series.candles, interval)
        for (category, base), path in self._paths.items():
            if category is Category.LINEAR:
                symbol = f"{base}/USDT:USDT"
                self._marks[base] = MarkPath(path, sample.find(symbol, "mark"))
                self._funding[base] = FundingSchedule(sample.find(symbol, "funding"), self.end_ms)
        self._shocks: dict[str, Decimal] = {}
        self._frozen: dict[str | None, int] = {}  # base (None: every asset) -> exchange ms the data froze at
        # (category, name, bid side) -> the price and the levels last shown around it: a moment's book is read often
        self._shown: dict[tuple[Category, str, bool], tuple[Decimal, list[Level]]] = {}

    def listed(self, category: Category) -> list[str]:
        """Base assets with a price series in ``category``, sorted."""
        return sorted(base for cat, base in self._paths if cat is category)

    @cached_property
    def shortest_interval_ms(self) -> int:
        """The finest candle spacing of the replayed series: the path's legs are a third of it."""
        return min(path.interval_ms for path in self._paths.values())

    def step_ms(self) -> int:
        """One leg of the finest candle, in exchange time: the path is straight within it."""
        return max(1, round(self.shortest_interval_ms / 3 / self.timeline.speed))

    def first_price(self, category: Category, base: str) -> Decimal:
        return self._paths[(category, base)].price(self._paths[(category, base)].start_ms)

    def funding_schedule(self, base: str) -> FundingSchedule:
        return self._funding[base]

    def ended(self, exchange_ms: int) -> bool:
        return self.timeline.to_market(exchange_ms) >= self.end_ms

    def market_time(self, exchange_ms: int) -> int:
        return self.timeline.to_market(exchange_ms)

    # prices -------------------------------------------------------------------------------------------------

    def last(self, category: Category, base: str, exchange_ms: int) -> Decimal:
        path = self._paths[(category, base)]
        return path.price(self.timeline.to_market(exchange_ms)) * self._shock(base)

    def mark(self, base: str, exchange_ms: int) -> Decimal:
        return self._marks[base].price(self.timeline.to_market(exchange_ms)) * self._shock(base)

    def index(self, base: str, exchange_ms: int) -> Decimal:
        category = Category.SPOT if (Category.SPOT, base) in self._paths else Category.LINEAR
        return self.last(category, base, exchange_ms)

    def touch(self, instrument: Instrument, exchange_ms: int) -> tuple[Decimal, Decimal]:
        """The synthetic book's best bid and ask around the replayed price."""
        return book.touch(self.last(instrument.category, instrument.base, exchange_ms), instrument)

    def levels(self, instrument: Instrument, exchange_ms: int, buy_side: bool) -> Iterator[Level]:
        """The synthetic book's levels of one side around the replayed price, best first."""
        return book.levels(self.last(instrument.category, instrument.base, exchange_ms), instrument, buy_side)

    def top_levels(self, instrument: Instrument, exchange_ms: int, buy_side: bool, count: int) -> list[Level]:
        """The first ``count`` of ``levels``, made once per price (the book of a moment is read many times)."""
        price = self.last(instrument.category, instrument.base, exchange_ms)
        key = (instrument.category, instrument.name, buy_side)
        shown = self._shown.get(key)
        if shown is None or shown[0] != price or len(shown[1]) < count:
            shown = self._shown[key] = (price, list(islice(book.levels(price, instrument, buy_side), count)))
        return shown[1][:count]

    def range(self, category: Category, base: str, ms0: int, ms1: int) -> tuple[Decimal, Decimal]:
        path = self._paths[(category, base)]
        low, high = path.range(self.timeline.to_market(ms0), self.timeline.to_market(ms1))
        shock = self._shock(base)
        return low * shock, high * shock

    def mark_range(self, base: str, ms0: int, ms1: int) -> tuple[Decimal, Decimal]:
        low, high = self._marks[base].range(self.timeline.to_market(ms0), self.timeline.to_market(ms1))
        shock = self._shock(base)
        return low * shock, high * shock

    def volume_through(self, category: Category, base: str, ms0: int, ms1: int, level: Decimal, below: bool) -> Decimal:
        """Base volume traded while the price was strictly through ``level`` between two exchange times."""
        shock = self._shock(base)
        path = self._paths[(category, base)]
        return path.volume_through(self.timeline.to_market(ms0), self.timeline.to_market(ms1), level / shock, below)

    def trades(self, category: Category, base: str, ms0: int, ms1: int) -> list[tuple[int, Decimal, Decimal, bool]]:
        """Public trades after ``ms0`` up to ``ms1`` (exchange times), oldest first: (time, price, base quantity,
        taker bought).

        Every exchange second, one trade per straight piece of the path in it: at the piece's closing price, for
        the volume traded along it, stamped at its end. The path's extremes are among the prices, and the volume
        beyond any level adds up to what resting orders fill from (``volume_through``), piece by piece.
        """
        path = self._paths[(category, base)]
        shock = self._shock(base)
        to_market, to_exchange = self.timeline.to_market, self.timeline.to_exchange
        rows: list[tuple[int, Decimal, Decimal, bool]] = []
        for cell in range(ms0 - ms0 % TRADE_GRID_MS, ms1, TRADE_GRID_MS):
            for piece in path.pieces(to_market(cell), to_market(cell + TRADE_GRID_MS)):
                moment = min(to_exchange(piece.end), cell + TRADE_GRID_MS)
                if piece.volume > 0 and ms0 < moment <= ms1:
                    rows.append((moment, piece.p1 * shock, piece.volume, piece.p1 >= piece.p0))
        return rows

    def window(self, category: Category, base: str, exchange_ms: int) -> WindowStats:
        """24 h ticker figures (in market time) ending at ``exchange_ms``, gap-adjusted."""
        stats = self._paths[(category, base)].window(self.timeline.to_market(exchange_ms), DAY_MS)
        shock = self._shock(base)
        return WindowStats(
            stats.open * shock, stats.high * shock, stats.low * shock, stats.volume, stats.turnover * shock
        )

    def next_funding(self, base: str, exchange_ms: int) -> tuple[int, Decimal]:
        """The next settlement strictly after ``exchange_ms``: its exchange time and rate.

        Bybit settles on its own clock, every interval from 00:00 UTC (00:00, 08:00 and 16:00 for an 8-hour
        contract: docs/v5/market/tickers ``nextFundingTime``, the instruments' ``fundingInterval``). Settlements
        come every interval of *market* time: at speed 1 phased onto the exchange clock's marks (a real-time
        exchange settles on the wall clock's 00:00, 08:00 and 16:00 UTC); replayed at any other speed, at the
        replayed market's own marks (at 120x every 4 minutes, at the moments and rates of the recorded history).
        """
        schedule = self._funding[base]
        interval, phase = schedule.interval_ms, self._funding_phase(schedule.interval_ms)
        market_ms = self.timeline.to_market(exchange_ms)
        moment = ((market_ms - phase) // interval + 1) * interval + phase
        while self.timeline.to_exchange(moment) <= exchange_ms:  # rounding at high speed: strictly later
            moment += interval
        return self.timeline.to_exchange(moment), schedule.rate_at(moment)

    def settlements(self, base: str, until_exchange_ms: int, limit: int) -> list[tuple[int, Decimal]]:
        """Up to ``limit`` settlements of ``base`` up to ``until_exchange_ms``, newest first, back to the sample's
        start (exchange times and rates)."""
        schedule = self._funding[base]
        interval, phase = schedule.interval_ms, self._funding_phase(schedule.interval_ms)
        moment = (self.timeline.to_market(until_exchange_ms) - phase) // interval * interval + phase
        rows: list[tuple[int, Decimal]] = []
        while len(rows) < limit and moment >= to_ms(self.sample.start):
            rows.append((self.timeline.to_exchange(moment), schedule.rate_at(moment)))
            moment -= interval
        return rows

    def _funding_phase(self, interval_ms: int) -> int:
        """The market times of settlements, modulo the interval: at speed 1 those that fall on the exchange clock's
        marks; at any other speed the market's own marks (0)."""
        if self.timeline.speed != 1:
            return 0
        return (self.timeline.market_start_ms - self.timeline.exchange_start_ms) % interval_ms

    def bars(
        self,
        category: Category,
        base: str,
        interval_ms: int,
        end_exchange_ms: int,
        limit: int,
        start_exchange_ms: int | None,
    ) -> list[tuple[int, tuple[Decimal, Decimal, Decimal, Decimal], Decimal, Decimal]]:
        """Klines (market-time buckets shown at their exchange time), gap-adjusted, newest first."""
        to_market = self.timeline.to_market
        start = to_market(start_exchange_ms) if start_exchange_ms is not None else None
        shock = self._shock(base)
        return [
            (
                self.timeline.to_exchange(bar.start),
                (bar.ohlc[0] * shock, bar.ohlc[1] * shock, bar.ohlc[2] * shock, bar.ohlc[3] * shock),
                bar.volume,
                bar.turnover * shock,
            )
            for bar in self._paths[(category, base)].bars(interval_ms, to_market(end_exchange_ms), limit, start)
        ]

    # faults -------------------------------------------------------------------------------------------------

    def gap(self, base: str, move: Decimal) -> None:
        """Move every price of ``base`` by ``move`` (e.g. -0.30) from now on, as one jump."""
        if move <= -1:
            raise ValueError("a price gap cannot take prices to zero or below")
        self._shocks[base] = self._shock(base) * (1 + move)

    def freeze(self, base: str | None, exchange_ms: int) -> None:
        """Serve ``base``'s public data (every asset's for None) as of ``exchange_ms`` until unfrozen."""
        self._frozen.setdefault(base, exchange_ms)

    def unfreeze(self, base: str | None = None) -> None:
        if base is None:
            self._frozen.clear()
        else:
            self._frozen.pop(base, None)

    def public_ms(self, base: str, exchange_ms: int) -> int:
        """The moment public market data for ``base`` shows: now, or the freeze moment if it is stale."""
        frozen = [ms for key, ms in self._frozen.items() if key in (None, base)]
        return min([exchange_ms, *frozen])

    def _shock(self, base: str) -> Decimal:
        return self._shocks.get(base, Decimal(1))


def _round_minute(ms: int) -> int:
    """Funding timestamps carry a few milliseconds of jitter (08:00:00.007): settle on the whole minute."""
    return (ms + MINUTE_MS // 2) // MINUTE_MS * MINUTE_MS


def market_start(sample: Sample, start: datetime | None) -> int:
    """The historical start of a replay: ``start`` if given (and inside the sample), else the sample start."""
    if start is None:
        return to_ms(sample.start)
    if not sample.start <= start < sample.end:
        raise MarketDataError(
            f"start {start.isoformat()} is outside the sample {sample.name} ({sample.start} .. {sample.end})"
        )
    return to_ms(start)
