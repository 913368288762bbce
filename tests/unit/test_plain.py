"""Specification of ``plain``: any value the journal, logs and JSON output carry, made JSON-safe the project's way."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.domain import ReasonCode, Side
from bot.plain import MASK, plain


class Colour(Enum):
    RED = 1


@dataclass(frozen=True, slots=True)
class Line:
    symbol: str
    side: Side
    amount: Decimal
    notes: tuple[str, ...]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("SOL", "SOL", id="text"),
        pytest.param(7, 7, id="int"),
        pytest.param(0.5, 0.5, id="float"),
        pytest.param(True, True, id="bool"),
        pytest.param(None, None, id="none"),
        pytest.param(Decimal("150.10"), "150.10", id="Decimal as written"),
        pytest.param(Side.SELL, "sell", id="StrEnum: its value, a str"),
        pytest.param(ReasonCode.REBALANCE, "rebalance", id="another StrEnum"),
        pytest.param(Colour.RED, 1, id="Enum: its value"),
        pytest.param(Path("/tmp/j.sqlite"), "/tmp/j.sqlite", id="path"),
        pytest.param(datetime(2025, 10, 10, 21, tzinfo=UTC), "2025-10-10T21:00:00+00:00", id="time"),
        pytest.param(timedelta(minutes=2), 120.0, id="duration in seconds"),
        pytest.param(SecretStr("key"), MASK, id="secret masked"),
        pytest.param(
            Line("SOL/USDT:USDT", Side.BUY, Decimal("2.50"), ("a",)),
            {"symbol": "SOL/USDT:USDT", "side": "buy", "amount": "2.50", "notes": ["a"]},
            id="dataclass as a mapping",
        ),
        pytest.param({Side.SELL: [Decimal(1)]}, {"sell": ["1"]}, id="mapping keys as text"),
    ],
)
def test_plain_when_a_value_then_its_json_safe_form_of_exactly_the_json_type(value: Any, expected: Any) -> None:
    result = plain(value)
    assert result == expected
    assert type(result) is type(expected)  # a StrEnum member equals its value, but is not plain text
