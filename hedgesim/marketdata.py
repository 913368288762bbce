"""Historical market data: the bundled real samples and freqtrade-format files (candles, funding, mark)."""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Literal

from hedgesim.errors import MarketDataError

SAMPLES_DIR = Path(__file__).resolve().parent / "data" / "samples"
DEFAULT_SAMPLE = "2025-10-liquidation-cascade"

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


def read_candles(path: Path) -> tuple[Candle, ...]:
    """Read a freqtrade OHLCV/funding/mark file: a (gzipped) JSON array of [ms, o, h, l, c, v] rows."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            rows = json.load(handle, parse_float=Decimal, parse_int=Decimal)
    except (OSError, ValueError) as exc:
        raise MarketDataError(f"cannot read market data file {path}: {exc}") from exc
    candles = []
    for row in rows:
        if len(row) < 6:
            raise MarketDataError(f"{path}: a row has {len(row)} fields, expected 6 ([ms, o, h, l, c, v])")
        candles.append(
            Candle(
                open_time=datetime.fromtimestamp(int(row[0]) / 1000, tz=UTC),
                open=row[1],
                high=row[2],
                low=row[3],
                close=row[4],
                volume=row[5],
            )
        )
    return tuple(candles)


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
        match = _FILE_NAME.match(path.name)
        if match is None:
            continue
        suffix = match["suffix"]
        market: MarketKind = "spot" if suffix is None else "perp"
        pair = f"{match['base']}/{match['quote']}"
        symbol = pair if market == "spot" else f"{pair}:{match['settle'] or match['quote']}"
        kind = _SUFFIX_KIND[suffix]
        timeframe = _timeframe(match["timeframe"])
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


def _timeframe(text: str) -> timedelta:
    unit = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[text[-1]]
    return timedelta(**{unit: int(text[:-1])})
