"""Specification of what a cycle reads: price history only when a beta is estimated from it."""

from __future__ import annotations

from typing import Any

import pytest

from bot.config import parse_config
from bot.execution.reading import needs_history
from bot.settings.from_config import core_settings

VENUE = {"main": {"exchange": "bybit", "mode": "sim", "url": "http://127.0.0.1:8765"}}


@pytest.mark.parametrize(
    ("hedges", "proxy", "needed"),
    [
        ({}, {}, False),
        ({"AVAX": {"proxy": "ETH/USDT:USDT", "beta": "estimate"}}, {}, True),
        ({"AVAX": {"proxy": "ETH/USDT:USDT", "beta": 1.2}}, {}, False),
        ({}, {"default_instrument": "BTC/USDT:USDT", "default_beta": "estimate"}, True),  # unlisted holdings
        ({}, {"default_instrument": "BTC/USDT:USDT", "default_beta": 1}, False),
        ({}, {"default_beta": "estimate"}, False),  # no default instrument: nothing falls back on it
    ],
)
def test_needs_history_when_a_beta_is_estimated_then_price_history_is_read(
    hedges: dict[str, Any], proxy: dict[str, Any], needed: bool
) -> None:
    config = parse_config({"venues": VENUE, "hedges": hedges, "policy": {"proxy": proxy}}, env={})
    assert needs_history(core_settings(config)) is needed
