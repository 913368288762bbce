"""Historical market data: the bundled real samples and freqtrade-format files (candles, funding, mark)."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Literal

from hedgesim.errors import MarketDataError

SAMPLES_DIR = Path(__file__).resolve().parent / "data" / "samples"
DEFAULT_SAMPLE = "2025-10-liquidation-cascade"
FUNDING_INTERVAL = timedelta(hours=8)  # a synthetic perpetual's settlements (00:00, 08:00, 16:00 UTC)
ZERO = Decimal(0)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

SeriesKind = Literal["ohlcv", "funding", "mark"]
MarketKind = Literal["spot", "perp"]


@dataclass(frozen=True, slots=True)
class Candle:
    """One bar. For funding series the rate per settlement is in ``open`` (freqtrade convention)."""

    open_time: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


@dataclass(frozen=True, slots=True)
class Series:
    symbol: str  # ccxt unified symbol: "SOL/USDT" (spot) or "SOL/USDT:USDT" (perp)
    market: MarketKind
    kind: SeriesKind
    candles: tuple[Candle, ...]
    source: str  # where the numbers come from
    synthetic: bool = False  # made up from another series (``with_synthetic_perpetuals``), not recorded

    @property
    def base(self) -> str:
        return self.symbol.split("/")[0]

    @property
    def interval(self) -> timedelta:
        """The candle spacing (the smallest gap between the first consecutive rows); one day for a single row."""
        gaps = [b.open_time - a.open_time for a, b in pairwise(self.candles[:51])]
        positive = [gap for gap in gaps if gap > timedelta(0)]
        return min(positive) if positive else timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Sample:
    name: str
    title: str
    start: datetime
    end: datetime
    series: tuple[Series, ...]

    def find(self, symbol: str, kind: SeriesKind = "ohlcv") -> Series | None:
        return next((s for s in self.series if s.symbol == symbol and s.kind == kind), None)

    def spot_assets(self) -> list[str]:
        return [s.base for s in self.series if s.market == "spot" and s.kind == "ohlcv"]

    def perpetuals(self) -> list[str]:
        """The perpetuals with candles (ccxt symbols), recorded or synthetic, sorted."""
        return sorted(s.symbol for s in self.series if s.market == "perp" and s.kind == "ohlcv" and s.candles)

    def spot_of(self, perpetual: str) -> Series | None:
        """The spot candles a USDT perpetual (``BASE/USDT:USDT``) could be made from, if the sample has them."""
        base, _, rest = perpetual.partition("/")
        spot = self.find(f"{base}/USDT")
        return spot if rest == "USDT:USDT" and spot is not None and spot.candles else None

    def synthetic_perpetuals(self) -> list[str]:
        """The perpetuals made up from spot (``with_synthetic_perpetuals``), sorted."""
        return sorted(s.symbol for s in self.series if s.market == "perp" and s.kind == "ohlcv" and s.synthetic)


def with_synthetic_perpetuals(sample: Sample, symbols: Iterable[str]) -> Sample:
    """``sample`` with a perpetual made up from spot for each of ``symbols`` (``BASE/USDT:USDT``) it lacks.

    A synthetic perpetual trades at its asset's spot candles (no basis: its mark is that price too) and pays funding
    0 at every settlement (a funding series of zeros, every 8 hours over the sample, in place of any funding or mark
    series the sample has for it); the venue lists it with its usual instrument specs and book. Its series are marked
    ``synthetic``. Raises ``MarketDataError`` for a symbol
    that is not a USDT perpetual or whose asset has no spot candles in the sample.
    """
    missing = sorted(set(symbols) - set(sample.perpetuals()))
    kept = tuple(s for s in sample.series if s.symbol not in missing)  # e.g. a funding file without its candles
    added: list[Series] = []
    for symbol in missing:
        spot = sample.spot_of(symbol)
        if spot is None:
            raise MarketDataError(
                f"cannot synthesize the perpetual {symbol}: the market data {sample.name} has no USDT spot candles "
                "of its asset to make it from"
            )
        origin = f"synthetic from {spot.symbol} spot (no basis, funding 0)"
        added.append(replace(spot, symbol=symbol, market="perp", source=origin, synthetic=True))
        first = spot.candles[0].open_time
        settlement = first - (first - _EPOCH) % FUNDING_INTERVAL
        zeros = []
        while settlement < sample.end:
            zeros.append(Candle(settlement, ZERO, ZERO, ZERO, ZERO, ZERO))
            settlement += FUNDING_INTERVAL
        added.append(Series(symbol, "perp", "funding", tuple(zeros), origin, synthetic=True))
    return replace(sample, series=(*kept, *added))


def read_candles(path: Path, since: datetime | None = None, until: datetime | None = None) -> tuple[Candle, ...]:
    """Read a freqtrade OHLCV/funding/mark file: a (gzipped) JSON array of [ms, o, h, l, c, v] rows; only the rows
    opening from ``since`` to ``until`` (both included) when given."""
    return _candles(path, _rows(path), since, until)


def _candles(path: Path, rows: list[list[str]], since: datetime | None, until: datetime | None) -> tuple[Candle, ...]:
    low = -1 if since is None else int(since.timestamp() * 1000)
    high = None if until is None else int(until.timestamp() * 1000)
    candles = []
    for row in rows:
        if len(row) < 6:
            raise MarketDataError(f"{path}: a row has {len(row)} fields, expected 6 ([ms, o, h, l, c, v])")
        moment = int(row[0])
        if moment < low or (high is not None and moment > high):
            continue
        candles.append(
            Candle(
                open_time=datetime.fromtimestamp(moment / 1000, tz=UTC),
                open=Decimal(row[1]),
                high=Decimal(row[2]),
                low=Decimal(row[3]),
                close=Decimal(row[4]),
                volume=Decimal(row[5]),
            )
        )
    return tuple(candles)


def _rows(path: Path) -> list[list[str]]:
    """A file's rows with every number as its text (exact, and much faster to parse than Decimals)."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            rows: list[list[str]] = json.load(handle, parse_float=str, parse_int=str)
    except (OSError, ValueError) as exc:
        raise MarketDataError(f"cannot read market data file {path}: {exc}") from exc
    return rows


def available_samples() -> list[str]:
    return sorted(p.name for p in SAMPLES_DIR.iterdir() if (p / "manifest.json").is_file())


def load_sample(name_or_path: str | Path = DEFAULT_SAMPLE) -> Sample:
    """Load a bundled sample by name, a folder holding a ``manifest.json`` in the same format, or any folder of
    freqtrade-format files (see ``load_folder``)."""
    folder = Path(name_or_path)
    if not (folder / "manifest.json").is_file():
        if folder.is_dir() and any(_FILE_NAME.match(p.name) for p in folder.iterdir()):
            return load_folder(folder)
        folder = SAMPLES_DIR / str(name_or_path)
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise MarketDataError(
            f"no market data sample {str(name_or_path)!r}; bundled samples: {', '.join(available_samples())}"
        )
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    series = []
    for entry in manifest["series"]:
        source = entry.get("source", {})
        series.append(
            Series(
                symbol=entry["symbol"],
                market=entry["market"],
                kind=entry["kind"],
                candles=read_candles(folder / entry["file"]),
                source=f"{source.get('repository', '?')}@{str(source.get('commit', '?'))[:8]}:{source.get('path', '?')}",
            )
        )
    return Sample(
        name=folder.name,
        title=manifest.get("title", folder.name),
        start=datetime.fromisoformat(manifest["start"]),
        end=datetime.fromisoformat(manifest["end"]),
        series=tuple(series),
    )


# freqtrade file names: BTC_USDT-5m.json.gz (spot), BTC_USDT_USDT-5m-futures.json.gz or the older
# BTC_USDT-5m-futures.json.gz (USDT-margined perpetual), ...-8h-funding_rate..., ...-1h-mark...
_FILE_NAME = re.compile(
    r"^(?P<base>[A-Z0-9]+)_(?P<quote>[A-Z0-9]+)(?:_(?P<settle>[A-Z0-9]+))?-(?P<timeframe>\d+[mhdw])"
    r"(?:-(?P<suffix>futures|funding_rate|mark))?\.json(?:\.gz)?$"
)
_SUFFIX_KIND: dict[str | None, SeriesKind] = {
    None: "ohlcv",
    "futures": "ohlcv",
    "funding_rate": "funding",
    "mark": "mark",
}


def load_folder(folder: Path) -> Sample:
    """Load every freqtrade-format file in ``folder`` (no manifest needed), the finest timeframe per series.

    Files without a ``-futures``/``-funding_rate``/``-mark`` suffix are spot candles; the others belong to the
    USDT-margined perpetual of the same pair. The window is the span of the candle series.
    """
    chosen: dict[tuple[str, SeriesKind], tuple[timedelta, Path, MarketKind]] = {}
    for path in sorted(folder.iterdir()):
        parsed = _parse_name(path.name)
        if parsed is None:
            continue
        symbol, kind, market, timeframe = parsed
        known = chosen.get((symbol, kind))
        if known is None or timeframe < known[0]:
            chosen[(symbol, kind)] = (timeframe, path, market)
    series = tuple(
        Series(symbol=symbol, market=market, kind=kind, candles=read_candles(path), source=str(path))
        for (symbol, kind), (_, path, market) in sorted(chosen.items())
    )
    bars = [s for s in series if s.kind == "ohlcv" and s.candles]
    if not bars:
        raise MarketDataError(f"{folder}: no freqtrade candle files (e.g. BTC_USDT-5m.json.gz) found")
    return Sample(
        name=folder.name,
        title=f"market data from {folder}",
        start=min(s.candles[0].open_time for s in bars),
        end=max(s.candles[-1].open_time + s.interval for s in bars),
        series=series,
    )


def load_window(folders: Sequence[Path], start: datetime, end: datetime, history: timedelta = timedelta(0)) -> Sample:
    """The market data for ``start`` .. ``end`` from freqtrade-format files anywhere under ``folders``.

    Folders are searched recursively (e.g. a collection laid out ``<event>/<source>/<files>``). Where several files
    hold the same series (symbol and kind), the one covering most of the window wins, then the finer timeframe.
    Only rows from ``start - history`` (price history before the window, e.g. for estimating betas) to ``end`` are
    kept. Raises ``MarketDataError`` if no candle file covers any of the window.
    """
    found: dict[tuple[str, SeriesKind], list[tuple[Path, MarketKind, timedelta]]] = {}
    for folder in folders:
        if not folder.is_dir():
            raise MarketDataError(f"market data folder {folder} does not exist")
        for path in sorted(folder.rglob("*.json*")):
            parsed = _parse_name(path.name)
            if parsed is not None:
                symbol, kind, market, timeframe = parsed
                found.setdefault((symbol, kind), []).append((path, market, timeframe))
    since = start - history
    series = []
    for (symbol, kind), candidates in sorted(found.items()):
        read = [(path, market, timeframe, _rows(path)) for path, market, timeframe in candidates]
        path, market, _, rows = max(read, key=lambda c: (_coverage(c[3], since, end, kind), -c[2]))
        margin = timedelta(days=1) if kind != "ohlcv" else timedelta(0)  # the settlement or mark before the window
        candles = _candles(path, rows, since - margin, end)
        if candles:
            series.append(Series(symbol=symbol, market=market, kind=kind, candles=candles, source=str(path)))
    bars = [s for s in series if s.kind == "ohlcv"]
    if not bars:
        names = ", ".join(str(f) for f in folders)
        raise MarketDataError(f"no freqtrade candle file under {names} has data from {start} to {end}")
    return Sample(
        name="+".join(f.name for f in folders),
        title=f"market data from {', '.join(str(f) for f in folders)}",
        start=min(s.candles[0].open_time for s in bars),
        end=max(s.candles[-1].open_time + s.interval for s in bars),
        series=tuple(series),
    )


def _parse_name(name: str) -> tuple[str, SeriesKind, MarketKind, timedelta] | None:
    """(ccxt symbol, kind, market, timeframe) from a freqtrade file name, or None for any other file."""
    match = _FILE_NAME.match(name)
    if match is None:
        return None
    suffix = match["suffix"]
    market: MarketKind = "spot" if suffix is None else "perp"
    pair = f"{match['base']}/{match['quote']}"
    symbol = pair if market == "spot" else f"{pair}:{match['settle'] or match['quote']}"
    return symbol, _SUFFIX_KIND[suffix], market, _timeframe(match["timeframe"])


def _coverage(rows: list[list[str]], start: datetime, end: datetime, kind: SeriesKind) -> timedelta:
    """How much of ``start`` .. ``end`` a file's rows span (funding and mark files: from their first row on)."""
    if not rows:
        return timedelta(0)
    first = datetime.fromtimestamp(int(rows[0][0]) / 1000, tz=UTC)
    last = datetime.fromtimestamp(int(rows[-1][0]) / 1000, tz=UTC)
    if kind != "ohlcv":
        last = max(last, end) if first <= end else last
    return max(timedelta(0), min(end, last) - max(start, first))


def _timeframe(text: str) -> timedelta:
    unit = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[text[-1]]
    return timedelta(**{unit: int(text[:-1])})
