"""Specification of the domain's arithmetic: lot and tick rounding, contract conversion, order remainders."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.domain import (
    HoldingSource,
    Order,
    OrderStatus,
    Rounding,
    Side,
    SourceKind,
    round_price_passive,
    round_to_step,
)
from tests.factories import btc_mini_contract_market

D = Decimal


@pytest.mark.parametrize(
    ("value", "step", "mode", "expected"),
    [
        ("1.6667", "1", Rounding.DOWN, "1"),
        ("1.6667", "1", Rounding.UP, "2"),
        ("1.6667", "1", Rounding.NEAREST, "2"),
        ("-1.67", "0.1", Rounding.DOWN, "-1.6"),  # toward zero for shorts too
        ("-1.67", "0.1", Rounding.UP, "-1.7"),
        ("0.0009", "0.001", Rounding.DOWN, "0"),
        ("2.5", "1", Rounding.NEAREST, "2"),  # banker's rounding: no upward bias
    ],
)
def test_round_to_step_when_mode_given_then_rounds_onto_the_lot(
    value: str, step: str, mode: Rounding, expected: str
) -> None:
    assert round_to_step(D(value), D(step), mode) == D(expected)


@pytest.mark.parametrize(
    ("price", "side", "expected"),
    [("100.123", Side.SELL, "100.13"), ("100.123", Side.BUY, "100.12"), ("100.12", Side.SELL, "100.12")],
)
def test_round_price_passive_when_off_tick_then_rounds_away_from_the_touch(
    price: str, side: Side, expected: str
) -> None:
    assert round_price_passive(D(price), D("0.01"), side) == D(expected)


def test_contract_conversion_when_seed_example_then_1_67_contracts() -> None:
    # The seed: $10,000 hedged with a 0.1 BTC contract at $60,000 -> 1.67 contracts.
    market = btc_mini_contract_market()
    contracts = market.contracts_for(D(10000) / D(60000))
    assert round(contracts, 2) == D("1.67")
    assert market.notional(D(-2), D(60000)) == D(12000)


def test_order_when_partially_filled_then_remaining_and_signed_remaining() -> None:
    order = Order("SOL/USDT:USDT", Side.SELL, D(10), D(150), OrderStatus.OPEN, "hb-1", "1", filled=D(4))
    assert order.remaining == D(6)
    assert order.signed_remaining == D(-6)
    assert not order.status.is_final


@pytest.mark.parametrize(
    ("text", "kind", "label"),
    [
        ("exchange:main", SourceKind.EXCHANGE, "main"),
        ("static:cold wallet", SourceKind.STATIC, "cold wallet"),
        ("static:ledger:2", SourceKind.STATIC, "ledger:2"),  # the label is everything after the first colon
    ],
)
def test_holding_source_when_written_kind_colon_label_then_parsed_and_written_back_the_same(
    text: str, kind: SourceKind, label: str
) -> None:
    source = HoldingSource.parse(text)
    assert (source.kind, source.label) == (kind, label)
    assert str(source) == text


@pytest.mark.parametrize("text", ["cold wallet", "wallet:main", ""])
def test_holding_source_when_not_kind_colon_label_then_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="not a holding source"):
        HoldingSource.parse(text)
