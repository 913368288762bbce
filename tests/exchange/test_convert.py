"""Conversions at the ccxt boundary: statuses, markets, merged tickers, balances."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from bot.domain import Balance, OrderStatus
from bot.errors import DataError
from bot.exchange.convert import order_status, to_balances, to_market, to_perp_ticker, to_position
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
