"""Specification of snapshot files: exact round trips, Decimals as strings, clear errors, the example's source."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from bot.domain import Balance, Holding, HoldingSource, MarginMode, Side
from bot.errors import DataError
from bot.snapshot_file import parse_snapshot, read_snapshot_file, snapshot_to_json, write_snapshot_file
from hedgesim.marketdata import load_sample
from tests.conftest import ROOT
from tests.core.factories import our_order
from tests.factories import book, perp_ticker, short_position, snapshot, sol_perp_market, spot_quote

D = Decimal
EXAMPLE = ROOT / "tests" / "fixtures" / "snapshots" / "example-2022-06-20.json"


def rich_snapshot():
    base = snapshot(
        holdings=[
            Holding("SOL", D("100.5"), HoldingSource.exchange("main")),
            Holding("BTC", D("0.25"), HoldingSource.static("cold")),
        ],
        spot=[spot_quote("SOL", "149.9", "150.1")],
        markets=[sol_perp_market()],
        tickers=[perp_ticker("SOL/USDT:USDT", "149.95", funding_rate="-0.0003")],
        books=[book("SOL/USDT:USDT", "149.94", "149.95")],
        positions=[replace(short_position("SOL/USDT:USDT", "40", "151.2"), margin_mode=MarginMode.ISOLATED)],
    )
    return replace(
        base,
        open_orders=(our_order(Side.SELL, "10", "150.00", filled="2.5"),),
        balances={"USDT": Balance("USDT", D("1000.25"), D("500"), D("1500.25"))},
        history={"SOL": (D("149.1"), D("150.2")), "BTC/USDT:USDT": (D("60000.1"), D("60100"))},
    )


def test_snapshot_file_when_written_and_read_then_identical(tmp_path: Path) -> None:
    original = rich_snapshot()
    write_snapshot_file(tmp_path / "s.json", original)
    assert read_snapshot_file(tmp_path / "s.json") == original


def test_snapshot_file_when_written_then_decimals_are_strings_and_times_have_a_zone() -> None:
    data = json.loads(snapshot_to_json(rich_snapshot()))
    assert data["format"] == "hedgebot-snapshot/1"
    assert data["holdings"][0]["quantity"] == "100.5"
    assert data["books"][0]["bids"][0] == ["149.94", "100"]
    assert data["taken_at"] == "2025-10-10T12:00:00Z"


def _text(**changes: object) -> str:
    data = json.loads(snapshot_to_json(rich_snapshot()))
    for dotted, value in changes.items():
        *path, last = dotted.split("__")
        node = data
        for part in path:
            node = node[int(part)] if part.isdigit() else node[part]
        node[last] = value
    return json.dumps(data)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        (_text(format="other/2"), "format"),
        (_text(taken_at="2025-10-10T12:00:00"), "taken_at"),  # no time zone
        (_text(markets__0__lotstep="0.1"), "unknown key 'lotstep' (did you mean 'lot_step'?)"),
        (_text(holdings__0__quantity="-1"), "holdings[0].quantity"),
        (_text(markets__0__tick_size="0"), "markets[0].tick_size"),
        (_text(holdings__0__source="cold wallet"), "holdings[0].source"),  # neither exchange:... nor static:...
    ],
)
def test_parse_snapshot_when_malformed_then_data_error_naming_the_key(text: str, message: str) -> None:
    with pytest.raises(DataError) as info:
        parse_snapshot(text, "s.json")
    assert str(info.value).startswith("s.json: ")
    assert message in str(info.value)


def test_parse_snapshot_when_symbol_twice_then_data_error() -> None:
    data = json.loads(snapshot_to_json(rich_snapshot()))
    data["markets"].append(data["markets"][0])
    with pytest.raises(DataError, match="'SOL/USDT:USDT' appears twice"):
        parse_snapshot(json.dumps(data))


def test_read_snapshot_file_when_file_missing_then_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="cannot read snapshot file"):
        read_snapshot_file(tmp_path / "nope.json")


def test_example_snapshot_when_compared_with_the_bundled_sample_then_prices_are_its_closes() -> None:
    example = read_snapshot_file(EXAMPLE)
    sample = load_sample("2022-06-3ac-crash")
    assert example.taken_at == sample.end
    for asset, quote in example.spot.items():
        series = sample.find(f"{asset}/USDT")
        assert series is not None
        assert quote.last == series.candles[-1].close
    for symbol in ("BTC/USDT:USDT", "ETH/USDT:USDT"):
        series = sample.find(symbol)
        assert series is not None
        assert example.tickers[symbol].last == series.candles[-1].close
    avax = sample.find("AVAX/USDT")
    assert avax is not None
    assert example.history["AVAX"] == tuple(c.close for c in avax.candles[-289:])
