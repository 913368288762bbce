"""Specification of market data loading: bundled samples, freqtrade folders without a manifest, and replays."""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from hedgesim import SimConfig, SimExchange
from hedgesim.enums import Side
from hedgesim.errors import MarketDataError
from hedgesim.instruments import Category, perp_instrument
from hedgesim.marketdata import Sample, Series, available_samples, load_sample, load_window, with_synthetic_perpetuals
from hedgesim.orders import ExecType, NewOrder, OrderType
from hedgesim.views import ticker
from tests.conftest import SHARED
from tests.sim.factories import FIVE_MINUTES, T0, D, candles, exchange, flat, funding_rows, sol_sample

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


def spot_only_sample() -> Sample:
    """SOL spot alone (no perpetual, no funding): 100 for an hour, then 90 for a day."""
    bars = [*flat("100", 12), *flat("90", 288)]
    spot = Series("SOL/USDT", "spot", "ohlcv", candles(bars), "test")
    return Sample("test-spot-only", "SOL spot only", T0, T0 + len(bars) * FIVE_MINUTES, (spot,))


def test_with_synthetic_perpetuals_when_only_spot_then_a_perpetual_at_spot_with_its_specs_and_zero_funding() -> None:
    sample = with_synthetic_perpetuals(spot_only_sample(), ["SOL/USDT:USDT"])
    ex = exchange(sample)
    perp = ex.instrument(Category.LINEAR, "SOLUSDT")
    assert (perp.tick_size, perp.qty_step, perp.book) == (D("0.010"), D("0.1"), perp_instrument("SOL", D(100)).book)
    ex.place_order(NewOrder(Category.LINEAR, "SOLUSDT", Side.SELL, OrderType.MARKET, D(10)))
    ex.advance(timedelta(hours=17))  # past the 08:00 and 16:00 settlements
    view = ticker(ex.venue, ex.market, perp, ex.now_ms())
    spot = ticker(ex.venue, ex.market, ex.instrument(Category.SPOT, "SOLUSDT"), ex.now_ms())
    funding = [e.fee for e in ex.executions if e.exec_type is ExecType.FUNDING]
    assert (view.last, view.mark, spot.last) == (D(90), D(90), D(90))
    assert funding == [D(0), D(0)]
    assert sample.synthetic_perpetuals() == ["SOL/USDT:USDT"]


def test_with_synthetic_perpetuals_when_the_perpetual_is_recorded_then_it_is_kept_and_not_synthetic() -> None:
    recorded = sol_sample(flat("100", 12), spot=flat("99", 12), funding=["0.0001"])
    sample = with_synthetic_perpetuals(recorded, ["SOL/USDT:USDT"])
    assert (sample.series, sample.synthetic_perpetuals()) == (recorded.series, [])


@pytest.mark.parametrize("symbol", ["ETH/USDT:USDT", "SOL/USDC:USDC"])
def test_with_synthetic_perpetuals_when_no_usdt_spot_to_make_it_from_then_market_data_error(symbol: str) -> None:
    with pytest.raises(MarketDataError, match=f"cannot synthesize the perpetual {symbol}"):
        with_synthetic_perpetuals(spot_only_sample(), [symbol])


def test_with_synthetic_perpetuals_when_funding_recorded_without_candles_then_replaced_by_zero_funding() -> None:
    spot_only = spot_only_sample()
    funding = Series("SOL/USDT:USDT", "perp", "funding", funding_rows(["0.0001", "0.0001"]), "test")
    sample = with_synthetic_perpetuals(replace(spot_only, series=(*spot_only.series, funding)), ["SOL/USDT:USDT"])
    used = sample.find("SOL/USDT:USDT", "funding")
    assert used is not None
    assert (used.synthetic, {c.open for c in used.candles}) == (True, {D(0)})
