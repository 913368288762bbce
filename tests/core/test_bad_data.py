"""Specification of bad data in the core: an instrument whose data cannot be trusted is held, never traded, and
a holding is never re-routed (to a proxy) or dropped because its own perpetual's data is bad."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from decimal import Decimal

import pytest

from bot.config import parse_config
from bot.core.cycle import CoreState, plan_cycle
from bot.domain import Holding, HoldingSource, ReasonCode, Snapshot
from bot.settings.from_config import core_settings
from tests.factories import NOW, book, btc_perp_market, perp_ticker, short_position, snapshot, sol_perp_market
from tests.factories import spot_quote as quote

D = Decimal
BTC, SOL = "BTC/USDT:USDT", "SOL/USDT:USDT"
VENUE = '[venues.main]\nexchange = "bybit"\nmode = "sim"\nurl = "http://127.0.0.1:8765"\n'
PROXY = '[policy]\nratio = 1\n[policy.proxy]\ndefault_instrument = "BTC/USDT:USDT"\nmin_perp_depth_notional = 1000\n'


def sol_and_btc(position: str = "0") -> Snapshot:
    """100 SOL on the venue; SOL's own perpetual (hedged by it when deep enough) and BTC's, the proxy."""
    return snapshot(
        holdings=[Holding("SOL", D(100), HoldingSource.exchange("main"))],
        spot=[quote("SOL", "150", "150")],
        markets=[sol_perp_market(), btc_perp_market()],
        tickers=[perp_ticker(SOL, "150"), perp_ticker(BTC, "60000")],
        books=[book(SOL, "149.99", "150.01", size="500"), book(BTC, "59999.9", "60000.0", size="50", tick="0.1")],
        positions=[short_position(SOL, position, "150")] if position != "0" else [],
    )


@pytest.mark.parametrize("position", ["0", "50"])
def test_plan_when_an_instruments_data_is_bad_then_held_with_the_reason_and_no_order(position: str) -> None:
    config = parse_config(tomllib.loads(VENUE + PROXY), env={})
    bad = replace(sol_and_btc(position), bad_data={SOL: "its order book could not be read: NaN"})
    plan, _ = plan_cycle(core_settings(config), bad, CoreState(), NOW)
    decision = plan.instrument(SOL)
    assert decision is not None
    assert (decision.reason, decision.notes) == (ReasonCode.BAD_DATA, ("its order book could not be read: NaN",))
    assert plan.intents == ()
    assert plan.cancels == ()


def test_plan_when_the_own_perpetuals_data_is_bad_then_the_holding_is_not_rerouted_to_the_proxy() -> None:
    config = parse_config(tomllib.loads(VENUE + PROXY), env={})
    clean, _ = plan_cycle(core_settings(config), sol_and_btc(), CoreState(), NOW)
    assert clean.holding("SOL").hedge.instrument == SOL  # deep enough: its own perpetual
    thin = replace(sol_and_btc(), books={BTC: sol_and_btc().books[BTC]}, bad_data={SOL: "its order book is bad"})
    plan, _ = plan_cycle(core_settings(config), thin, CoreState(), NOW)
    holding = plan.holding("SOL")
    assert holding is not None
    assert (holding.reason, holding.note) == (ReasonCode.BAD_DATA, "its order book is bad")
    assert plan.intents == ()
