"""Specification of what a cycle reads: price history only when a beta is estimated from it; with hedges on several
venues, each venue's desk only the holdings it hedges."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from bot.config import parse_config
from bot.domain import Holding, HoldingSource
from bot.execution.reading import needs_history, snapshot_request
from bot.settings.from_config import core_settings, desks_for

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


def test_snapshot_request_when_hedges_trade_on_two_venues_then_each_desk_reads_only_the_holdings_it_hedges() -> None:
    venues = {**VENUE, "other": {"exchange": "bybit", "mode": "sim", "url": "http://127.0.0.1:8766"}}
    hedges = {"SOL": {"venue": "main"}, "ETH": {"venue": "other"}}
    static = [{"asset": "SOL", "quantity": 10}, {"asset": "ETH", "quantity": 2}, {"asset": "DOGE", "quantity": 5}]
    config = parse_config(
        {"venues": venues, "hedges": hedges, "holdings": {"venues": ["main"], "static": static}}, env={}
    )
    main, other = desks_for(config, "main")
    cold = (
        Holding("ETH", Decimal(3), HoldingSource.exchange("cold")),
        Holding("ADA", Decimal(9), HoldingSource.exchange("cold")),
    )
    counted = {}
    for desk in (main, other):
        request = snapshot_request(desk, {"SOL", "ETH", "BTC"}, (), {}, with_history=False, elsewhere=cold)
        counted[desk.venue.name] = (set(request.assets), {h.asset for h in request.static_holdings}, request.only)
    assert counted["main"] == ({"SOL", "BTC", "DOGE", "ADA"}, {"SOL", "DOGE", "ADA"}, None)
    assert counted["other"] == ({"ETH"}, {"ETH"}, frozenset({"ETH"}))
    assert "ETH" in snapshot_request(main, (), (), {}, with_history=False).exclude  # main's own wallet: not its ETH
