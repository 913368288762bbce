"""Specification of holdings and valuation: wallet + static, exclusions, mid or last, which price and how old."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from bot.core.valuation import static_holding, value_holdings, with_static_holdings
from bot.domain import Holding, HoldingSource, ReasonCode, SpotQuote
from tests.factories import NOW, spot_quote

D = Decimal
MAX_AGE = timedelta(seconds=15)


def value(holdings, quotes, *, exclude=("USDT",), price_kind="mid", now=NOW):
    return value_holdings(
        holdings, {q.asset: q for q in quotes}, exclude=exclude, price_kind=price_kind, max_age=MAX_AGE, now=now
    )


def test_value_holdings_when_wallet_and_static_of_one_asset_then_one_holding_with_both_sources() -> None:
    holdings = [Holding("SOL", D(100), HoldingSource.exchange("main")), static_holding("SOL", D(40), "staked")]
    (sol,) = value(holdings, [spot_quote("SOL", "149.9", "150.1")])
    assert sol.quantity == D(140)
    assert tuple(str(source) for source in sol.sources) == ("exchange:main", "static:staked")
    assert sol.price == D(150)  # mid of 149.9 / 150.1
    assert sol.value == D(21000)  # 140 x 150
    assert sol.reason is None


@pytest.mark.parametrize(
    ("price_kind", "expected_price", "expected_value"),
    [("mid", "150", "1500"), ("last", "151", "1510")],
)
def test_value_holdings_when_price_kind_chosen_then_that_price_is_used_and_named(
    price_kind: str, expected_price: str, expected_value: str
) -> None:
    (sol,) = value(
        [Holding("SOL", D(10), HoldingSource.exchange("main"))],
        [spot_quote("SOL", "149.9", "150.1", last="151")],
        price_kind=price_kind,
    )
    assert (sol.price, sol.value, sol.price_kind) == (D(expected_price), D(expected_value), price_kind)


@pytest.mark.parametrize(
    ("quote", "now_offset", "note_part"),
    [
        (None, 0, "no spot quote"),
        (SpotQuote("SOL", "SOL/USDT", None, D("150.1"), D(150), NOW), 0, "no mid price"),
        (spot_quote("SOL", "149.9", "150.1"), 16, "16s old (max 15s)"),
    ],
)
def test_value_holdings_when_price_missing_or_too_old_then_stale_price_and_no_value(
    quote: SpotQuote | None, now_offset: int, note_part: str
) -> None:
    quotes = [quote] if quote else []
    (sol,) = value(
        [Holding("SOL", D(10), HoldingSource.exchange("main"))], quotes, now=NOW + timedelta(seconds=now_offset)
    )
    assert sol.reason is ReasonCode.STALE_PRICE
    assert sol.value is None
    assert note_part in sol.note


def test_value_holdings_when_price_exactly_max_age_then_still_usable_and_age_reported() -> None:
    (sol,) = value(
        [Holding("SOL", D(10), HoldingSource.exchange("main"))],
        [spot_quote("SOL", "149.9", "150.1")],
        now=NOW + MAX_AGE,
    )
    assert sol.reason is None
    assert sol.price_age_seconds == D(15)


def test_value_holdings_when_excluded_then_reported_as_excluded_and_not_valued() -> None:
    (usdt,) = value([Holding("USDT", D(5000), HoldingSource.exchange("main"))], [])
    assert usdt.reason is ReasonCode.EXCLUDED
    assert usdt.value is None


def test_with_static_holdings_when_file_recorded_statics_then_replaced_by_the_configured_ones() -> None:
    recorded = [Holding("SOL", D(100), HoldingSource.exchange("main")), static_holding("BTC", D("0.5"), "old wallet")]
    configured = [static_holding("BTC", D("0.25"), "hardware wallet")]
    assert with_static_holdings(recorded, configured) == (recorded[0], configured[0])
