"""Specification of market data loading: bundled samples, freqtrade folders without a manifest, and replays."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from hedgesim import SimConfig, SimExchange
from hedgesim.errors import MarketDataError
from hedgesim.instruments import Category
from hedgesim.marketdata import available_samples, load_sample, load_window
from tests.conftest import SHARED

MS = 1_735_689_600_000  # 2025-01-01 00:00 UTC


def write(folder: Path, name: str, rows: list[list[float]]) -> None:
    with gzip.open(folder / name, "wt", encoding="utf-8") as handle:
        json.dump(rows, handle)


def bars(count: int, step_ms: int, price: float = 100.0) -> list[list[float]]:
    return [[MS + i * step_ms, price, price + 1, price - 1, price, 10.0] for i in range(count)]


@pytest.mark.parametrize(
    ("file_name", "symbol", "market", "kind"),
    [
        ("ADA_USDT-5m.json.gz", "ADA/USDT", "spot", "ohlcv"),
        ("ADA_USDT_USDT-5m-futures.json.gz", "ADA/USDT:USDT", "perp", "ohlcv"),
        ("ADA_USDT-5m-futures.json.gz", "ADA/USDT:USDT", "perp", "ohlcv"),  # freqtrade's older naming
        ("ADA_USDT_USDT-8h-funding_rate.json.gz", "ADA/USDT:USDT", "perp", "funding"),
        ("ADA_USDT-8h-mark.json.gz", "ADA/USDT:USDT", "perp", "mark"),
    ],
)
def test_load_folder_when_freqtrade_file_names_then_symbol_market_and_kind(
    tmp_path: Path, file_name: str, symbol: str, market: str, kind: str
) -> None:
    write(tmp_path, "ADA_USDT-5m.json.gz", bars(3, 300_000))
    write(tmp_path, file_name, bars(3, 300_000))
    series = load_sample(tmp_path).find(symbol, kind)  # type: ignore[arg-type]
    assert series is not None
    assert series.market == market


def test_load_folder_when_two_timeframes_then_the_finest_is_replayed(tmp_path: Path) -> None:
    write(tmp_path, "ADA_USDT-5m.json.gz", bars(12, 300_000))
    write(tmp_path, "ADA_USDT-1h.json.gz", bars(1, 3_600_000))
    sample = load_sample(tmp_path)
    (series,) = sample.series
    assert (series.interval, sample.end - sample.start) == (timedelta(minutes=5), timedelta(hours=1))


def test_load_sample_when_neither_bundled_nor_a_data_folder_then_data_error(tmp_path: Path) -> None:
    with pytest.raises(MarketDataError, match="no market data sample"):
        load_sample(tmp_path)


@pytest.mark.parametrize("name", available_samples())
def test_bundled_samples_when_replayed_then_spot_for_every_asset_and_perps_only_where_recorded(name: str) -> None:
    sample = load_sample(name)
    exchange = SimExchange.deterministic(SimConfig(sample=name), sample=sample)
    spot = {i.base for i in exchange.instruments(Category.SPOT)}
    perps = {i.base for i in exchange.instruments(Category.LINEAR)}
    assert spot == set(sample.spot_assets())
    assert perps == {s.base for s in sample.series if s.market == "perp" and s.kind == "ohlcv"}
    assert perps <= spot


def test_shared_collection_when_present_then_a_folder_replays(tmp_path: Path) -> None:
    folder = SHARED / "data" / "06_ftx_nov2022" / "MoonEyes+freqtrade"
    if not folder.is_dir():
        pytest.skip("the shared data collection is not here (a fresh clone has only the bundled samples)")
    exchange = SimExchange.deterministic(SimConfig(sample=folder))
    assert {i.symbol for i in exchange.instruments(Category.LINEAR)} >= {"ETH/USDT:USDT", "SOL/USDT:USDT"}
    exchange.advance(timedelta(hours=1))
    assert exchange.state()["prices"]["ETH/USDT:USDT"]["last"]


def days_of_bars(first_day: int, days: int, price: float) -> list[list[float]]:
    """5-minute bars from 2025-01-0<first_day> for ``days`` days, all at ``price``."""
    start = MS + (first_day - 1) * 86_400_000
    return [[start + i * 300_000, price, price, price, price, 1.0] for i in range(days * 288)]


def test_load_window_when_a_collection_holds_the_series_twice_then_the_file_covering_the_window(
    tmp_path: Path,
) -> None:
    early, late = tmp_path / "event1" / "someone+repo", tmp_path / "event2" / "other+repo"
    early.mkdir(parents=True)
    late.mkdir(parents=True)
    write(early, "BTC_USDT-5m.json.gz", days_of_bars(1, 2, 100.0))  # 1-2 Jan
    write(late, "BTC_USDT-5m.json.gz", days_of_bars(3, 2, 200.0))  # 3-4 Jan
    write(late, "notes.txt.json.gz", [])  # not a freqtrade name: ignored
    start = datetime(2025, 1, 3, 12, tzinfo=UTC)
    sample = load_window([tmp_path], start, start + timedelta(hours=6), history=timedelta(hours=1))
    (series,) = sample.series
    assert {c.close for c in series.candles} == {Decimal(200)}
    assert (sample.start, series.candles[-1].open_time) == (start - timedelta(hours=1), start + timedelta(hours=6))


def test_load_window_when_no_file_covers_the_window_then_market_data_error(tmp_path: Path) -> None:
    write(tmp_path, "BTC_USDT-5m.json.gz", days_of_bars(1, 1, 100.0))
    start = datetime(2025, 2, 1, tzinfo=UTC)
    with pytest.raises(MarketDataError, match="has data from"):
        load_window([tmp_path], start, start + timedelta(days=1))
