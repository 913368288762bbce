"""Conversions at the ccxt boundary: statuses, markets, merged tickers, balances; malformed values refused."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from bot.domain import Balance, OrderStatus
from bot.errors import DataError
from bot.exchange.convert import (
    dec,
    order_status,
    to_balances,
    to_book,
    to_fill,
    to_market,
    to_perp_ticker,
    to_position,
)
from bot.exchange.quirks import QUIRKS
from tests.exchange.venues import NOW, fixture

D = Decimal


@pytest.mark.parametrize(
    ("status", "filled", "expected"),
    [
        (None, "0", OrderStatus.OPEN),  # an acknowledgement without a state: accepted
        ("open", "0.4", OrderStatus.OPEN),
        ("closed", "1", OrderStatus.FILLED),
        ("closed", "0.4", OrderStatus.CANCELED),  # ccxt's "closed" for Bybit PartiallyFilledCanceled
        ("canceled", "0", OrderStatus.CANCELED),
        ("expired", "0", OrderStatus.CANCELED),
        ("rejected", "0", OrderStatus.REJECTED),
        ("Untriggered", "0", OrderStatus.UNKNOWN),
    ],
)
def test_order_status_when_ccxt_reports_then_ours(status: str | None, filled: str, expected: OrderStatus) -> None:
    assert order_status(status, D(1), D(filled)) is expected


def bybit_market(symbol: str, **changes: Any) -> dict[str, Any]:
    market: dict[str, Any] = fixture("bybit/markets.ccxt-4.5.90.json")[symbol]
    market.update(changes)
    return market


@pytest.mark.parametrize(
    "raw",
    [
        bybit_market("BTC/USD:BTC"),  # inverse
        bybit_market("BTC/USDT:USDT", swap=False, future=True),  # dated future
        bybit_market("BTC/USDT:USDT", precision={"amount": None, "price": 0.1}),
    ],
    ids=["inverse", "dated-future", "no-precision"],
)
def test_to_market_when_not_a_tradable_spot_or_linear_perp_then_skipped(raw: dict[str, Any]) -> None:
    assert to_market(raw) is None


def test_to_market_when_the_venue_publishes_no_leverage_cap_then_the_bots_own_cap() -> None:
    market = to_market(fixture("binance/markets.ccxt-4.5.90.json")["BTC/USDT:USDT"])
    assert market is not None
    assert market.max_leverage == 2


@pytest.mark.parametrize(("interval", "hours"), [("8h", "8"), ("1h", "1"), ("4h", "4"), ("30m", "0.5"), (None, "8")])
def test_to_perp_ticker_when_sources_disagree_then_first_answer_wins(interval: str | None, hours: str) -> None:
    ticker = {"last": None, "close": 101.5, "bid": 101.4, "ask": 101.6, "markPrice": None, "timestamp": None}
    funding = {"markPrice": 101.55, "indexPrice": 101.5, "fundingRate": -0.0002, "interval": interval}
    result = to_perp_ticker("SOL/USDT:USDT", [ticker, funding], NOW)
    assert (result.last, result.mark, result.funding_rate) == (D("101.5"), D("101.55"), D("-0.0002"))
    assert (result.funding_interval_hours, result.timestamp, result.next_funding_time) == (D(hours), NOW, None)


def test_to_perp_ticker_when_no_source_has_a_mark_price_then_data_error() -> None:
    with pytest.raises(DataError, match="mark price for SOL/USDT:USDT"):
        to_perp_ticker("SOL/USDT:USDT", [{"last": 101.5}], NOW)


def test_to_balances_when_some_are_empty_or_partial_then_only_holdings_with_free_and_used_filled_in() -> None:
    raw = {
        "total": {"USDT": 100.0, "BTC": 0.0, "SOL": 5.0},
        "USDT": {"free": 80.0, "used": 20.0, "total": 100.0},
        "BTC": {"free": 0.0, "used": 0.0, "total": 0.0},
        "SOL": {"free": None, "used": 1.5, "total": 5.0},
    }
    assert to_balances(raw) == {
        "USDT": Balance("USDT", D(80), D(20), D(100)),
        "SOL": Balance("SOL", D("3.5"), D("1.5"), D(5)),
    }


@pytest.mark.parametrize(("liquidation", "expected"), [(0, None), ("", None), (None, None), (224.7, D("224.7"))])
def test_to_position_when_the_venue_sends_no_liquidation_price_then_none(liquidation: Any, expected: Any) -> None:
    raw = {"symbol": "SOL/USDT:USDT", "contracts": 3, "side": "short", "liquidationPrice": liquidation}
    position = to_position(raw, NOW)
    assert (position.contracts, position.liquidation_price) == (D(-3), expected)


GARBAGE = ["NaN", "Infinity", "-Infinity", "abc", "1e400", float("nan"), float("inf"), True, [1], {"v": 1}]


@pytest.mark.parametrize("mark", [*GARBAGE, "0", 0, "-5"])
def test_to_perp_ticker_when_the_mark_is_not_a_positive_number_then_data_error(mark: Any) -> None:
    with pytest.raises(DataError, match="mark price for SOL/USDT:USDT"):
        to_perp_ticker("SOL/USDT:USDT", [{"markPrice": mark, "last": 101.5}], NOW)


def sol_book(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {"symbol": "SOL/USDT:USDT", "bids": [[101.4, 30.0]], "asks": [[101.6, 25.0]]}
    raw.update(changes)
    return raw


@pytest.mark.parametrize(
    "raw",
    [
        *(sol_book(bids=[[value, 30.0]]) for value in [*GARBAGE, 0, -1]),
        *(sol_book(asks=[[101.6, value]]) for value in [*GARBAGE, 0, -1]),
        sol_book(bids=[[101.4]]),
        sol_book(bids="101.4"),
        sol_book(bids=[], asks=[]),
    ],
)
def test_to_book_when_a_level_is_malformed_or_the_book_empty_then_data_error(raw: dict[str, Any]) -> None:
    with pytest.raises(DataError, match="SOL/USDT:USDT"):
        to_book(raw, 5, NOW)


@pytest.mark.parametrize(
    "precision",
    [{"amount": lot, "price": 0.01} for lot in [*GARBAGE, 0, -0.1]]
    + [{"amount": 0.1, "price": tick} for tick in [*GARBAGE, 0, -0.01]],
)
def test_to_market_when_the_tick_or_lot_is_not_a_positive_number_then_data_error(precision: dict[str, Any]) -> None:
    with pytest.raises(DataError, match="BTC/USDT:USDT"):
        to_market(bybit_market("BTC/USDT:USDT", precision=precision))


def ltc_fill(**changes: Any) -> dict[str, Any]:
    """ccxt's unified trade for a fill of ours on LTC/USDT:USDT."""
    raw: dict[str, Any] = {
        "id": "6dff7827", "order": "4dbe586c", "symbol": "LTC/USDT:USDT", "side": "buy", "amount": 1.2,
        "price": 72.25, "fee": {"cost": 0.00867, "currency": "USDT"}, "takerOrMaker": "maker",
        "timestamp": 1699948800000, "info": {"orderLinkId": "hb1ltc0001"},
    }  # fmt: skip
    raw.update(changes)
    return raw


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"amount": "NaN"}, "amount"),
        ({"amount": -1}, "amount"),
        ({"amount": 0}, "amount"),
        ({"amount": None}, "amount"),
        ({"price": float("inf")}, "price"),
        ({"price": 0}, "price"),
        ({"id": None}, "trade id"),
        ({"id": ""}, "trade id"),
        ({"side": None}, "side"),
        ({"symbol": None}, "symbol"),
        ({"fee": {"cost": None, "currency": "USDT"}}, "fee"),
        ({"fee": {"cost": "NaN", "currency": "USDT"}}, "fee"),
        ({"timestamp": None}, "timestamp"),
        ({"timestamp": 1e30}, "timestamp"),
    ],
)
def test_to_fill_when_malformed_then_data_error_naming_the_field(changes: dict[str, Any], named: str) -> None:
    with pytest.raises(DataError, match=named):
        to_fill(ltc_fill(**changes), QUIRKS["bybit"], NOW)


def test_to_fill_when_well_formed_then_every_field_read() -> None:
    fill = to_fill(ltc_fill(), QUIRKS["bybit"], NOW)
    assert (fill.trade_id, fill.amount, fill.price, fill.fee, fill.client_order_id) == (
        "6dff7827",
        D("1.2"),
        D("72.25"),
        D("0.00867"),
        "hb1ltc0001",
    )


@pytest.mark.parametrize("total", [None, "NaN", "abc", float("inf")])
def test_to_balances_when_a_coin_has_no_usable_total_then_data_error_never_a_zero(total: Any) -> None:
    raw = {"total": {"USDT": 100.0, "SOL": total}, "USDT": {"total": 100.0}, "SOL": {"total": total, "used": 0}}
    with pytest.raises(DataError, match="SOL balance"):
        to_balances(raw)


@pytest.mark.parametrize("side", [None, "", "both"])
def test_to_position_when_a_position_has_no_side_then_data_error_never_a_long(side: Any) -> None:
    with pytest.raises(DataError, match="side of the SOL/USDT:USDT position"):
        to_position({"symbol": "SOL/USDT:USDT", "contracts": 3, "side": side}, NOW)


@pytest.mark.parametrize("contracts", [None, "NaN", -3])
def test_to_position_when_the_size_is_missing_or_malformed_then_data_error_never_flat(contracts: Any) -> None:
    with pytest.raises(DataError, match="size of the SOL/USDT:USDT position"):
        to_position({"symbol": "SOL/USDT:USDT", "contracts": contracts, "side": "short"}, NOW)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (150.25, "150.25"),
        (100.0, "100.0"),  # as ccxt's float prints it
        (-0.0, "-0.0"),
        (1e-20, "1E-20"),
        (0.1 + 0.2, "0.30000000000000004"),  # the float's own shortest text
        (9.999999999999999e17, "9.999999999999999E+17"),  # just below the magnitude limit
        ("0.10", "0.10"),  # text: as written
        (7, "7"),
        (D("2.50"), "2.50"),
    ],
)
def test_dec_when_a_usable_number_then_its_decimal_as_text_reads_it(value: Any, expected: str) -> None:
    number = dec(value)
    assert number is not None
    assert str(number) == expected


@pytest.mark.parametrize("value", [1e18, -1e18, float("nan"), float("inf"), float("-inf"), True, "abc", [1.0]])
def test_dec_when_not_a_finite_usable_number_then_data_error(value: Any) -> None:
    with pytest.raises(DataError, match="the venue sent"):
        dec(value)
