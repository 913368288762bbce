"""Specification of one cycle end to end (plan_cycle): the seed example, proxy netting, event-window ramps on
an injected clock, managed and foreign positions, stale prices, and the state the loop persists."""

from __future__ import annotations

import json
import tomllib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.clock import ManualClock
from bot.config import AppConfig, parse_config
from bot.core.cycle import CoreState, hedge_policy, plan_cycle
from bot.core.planner.state import InstrumentState, PlannerState
from bot.domain import Holding, HoldingSource, Market, OrderStatus, ReasonCode, Side, Snapshot, SpotQuote
from bot.execution.reading import instruments_to_read
from bot.settings.from_config import core_settings
from policies.state import PolicyState, TakeProfitMemory
from tests.core.factories import our_order
from tests.factories import (
    NOW,
    book,
    btc_mini_contract_market,
    btc_perp_market,
    perp_ticker,
    short_position,
    snapshot,
    sol_perp_market,
    spot_quote,
)

D = Decimal
BTC, SOL = "BTC/USDT:USDT", "SOL/USDT:USDT"
VENUE = '[venues.main]\nexchange = "bybit"\nmode = "sim"\nurl = "http://127.0.0.1:8765"\n'


def config(text: str = "") -> AppConfig:
    return parse_config(tomllib.loads(VENUE + text), env={})


def quote(asset: str, price: str, at: datetime = NOW) -> SpotQuote:
    return replace(spot_quote(asset, price, price), timestamp=at)


def btc_venue(market: Market, holdings: list[Holding], quotes: list[SpotQuote]) -> Snapshot:
    return snapshot(
        holdings=holdings,
        spot=quotes,
        markets=[market],
        tickers=[perp_ticker(BTC, "60000")],
        books=[book(BTC, "59999.9", "60000.0", size="50", tick="0.1")],
    )


@pytest.mark.parametrize(
    ("rounding", "max_ratio", "contracts"),
    [("down", "1", "1"), ("up", "1.5", "2"), ("up", "1", "1")],
)
def test_plan_cycle_when_seed_example_then_1_contract_rounding_down_2_rounding_up(
    rounding: str, max_ratio: str, contracts: str
) -> None:
    # $10,000 of an altcoin hedged 1:1 with the 0.1 BTC contract at $60,000: 1.67 contracts.
    settings_ = f"""
[hedges.ALT]
proxy = "{BTC}"
[policy]
ratio = 1
[execution]
rounding = "{rounding}"
slice_max_notional = 15000
[risk]
max_order_notional = 15000
max_hedge_ratio = {max_ratio}
"""
    snap = btc_venue(
        btc_mini_contract_market(), [Holding("ALT", D(10000), HoldingSource.exchange("main"))], [quote("ALT", "1")]
    )
    plan, _ = plan_cycle(core_settings(config(settings_)), snap, CoreState(), NOW)
    (intent,) = plan.intents
    assert (intent.side, intent.amount, intent.reduce_only) == (Side.SELL, D(contracts), False)
    assert intent.notional == D(contracts) * D(6000)
    btc = plan.instrument(BTC)
    assert btc is not None
    assert round(-btc.target, 2) == D("1.67")


def test_plan_cycle_when_basket_without_perps_hedged_with_btc_then_one_btc_order() -> None:
    settings_ = f"""
[hedges.AVAX]
proxy = "{BTC}"
beta = 1.2
[hedges.LINK]
proxy = "{BTC}"
beta = 1.3
[hedges.ADA]
proxy = "{BTC}"
beta = 1.1
[execution]
slice_max_notional = 25000
[risk]
max_order_notional = 25000
"""
    holdings = [
        Holding("AVAX", D(500), HoldingSource.exchange("main")),
        Holding("LINK", D(1000), HoldingSource.exchange("main")),
        Holding("ADA", D(20000), HoldingSource.static("cold")),
    ]
    quotes = [quote("AVAX", "20"), quote("LINK", "15"), quote("ADA", "0.5")]
    plan, _ = plan_cycle(
        core_settings(config(settings_)), btc_venue(btc_perp_market(), holdings, quotes), CoreState(), NOW
    )
    # 0.5 x (10000 x 1.2 + 15000 x 1.3 + 10000 x 1.1) = 21250 USDT / 60000 = 0.35416 -> 0.354 BTC (lot 0.001)
    (intent,) = plan.intents
    assert (intent.symbol, intent.side, intent.amount, intent.price) == (BTC, Side.SELL, D("0.354"), D("60000.0"))
    assert {h.holding.asset: h.reason for h in plan.holdings} == dict.fromkeys(
        ("ADA", "AVAX", "LINK"), ReasonCode.REBALANCE
    )


def test_plan_cycle_when_event_window_on_an_injected_clock_then_target_ramps_in_and_out() -> None:
    settings_ = """
[policy]
name = "event_window"
ratio = 0.5
[[policy.event_window.windows]]
name = "unlock"
start = 2025-10-11T12:00:00Z
end = 2025-10-12T12:00:00Z
ratio = 1.0
ramp_in = "6h"
ramp_out = "2h"
"""
    cfg = config(settings_)
    clock = ManualClock(datetime(2025, 10, 11, 0, tzinfo=UTC))
    # (advance the clock by, expected SOL target for 100 SOL held)
    schedule = [
        (timedelta(0), "-50"),  # 12 h before the window: base ratio 0.5
        (timedelta(hours=9), "-75"),  # 3 h into the 6 h ramp-in
        (timedelta(hours=3), "-100"),  # the window starts
        (timedelta(hours=24), "-100"),  # the window ends
        (timedelta(hours=1), "-75"),  # half way through the 2 h ramp-out
        (timedelta(hours=1), "-50"),  # back to base
    ]
    for step, expected in schedule:
        now = clock.advance(step)
        snap = replace(
            snapshot(
                holdings=[Holding("SOL", D(100), HoldingSource.exchange("main"))],
                spot=[quote("SOL", "150", now)],
                markets=[sol_perp_market()],
                tickers=[replace(perp_ticker(SOL, "150"), timestamp=now)],
                books=[replace(book(SOL, "149.99", "150.00", size="1000"), timestamp=now)],
            ),
            taken_at=now,
        )
        plan, _ = plan_cycle(core_settings(cfg), snap, CoreState(), now)
        sol = plan.instrument(SOL)
        assert sol is not None
        assert sol.target_contracts == D(expected), now


def sol_snapshot(holding: str | None = "100", position: str | None = None) -> Snapshot:
    return snapshot(
        holdings=[Holding("SOL", D(holding), HoldingSource.exchange("main"))] if holding else [],
        spot=[quote("SOL", "150")],
        markets=[sol_perp_market()],
        tickers=[perp_ticker(SOL, "150")],
        books=[book(SOL, "149.99", "150.00", size="1000")],
        positions=[short_position(SOL, position, "150")] if position else [],
    )


def test_plan_cycle_when_holding_sold_and_instrument_managed_then_hedge_unwound_reduce_only() -> None:
    state = CoreState(planner=PlannerState(managed=frozenset({SOL})))
    plan, after = plan_cycle(core_settings(config()), sol_snapshot(holding=None, position="50"), state, NOW)
    sol = plan.instrument(SOL)
    assert sol is not None
    assert sol.reason is ReasonCode.UNWIND
    # 50 SOL at the 149.99 bid is 7,499.50 USDT: four even slices of 12.5 under the 2,000 USDT slice limit
    assert [(i.side, i.amount, i.reduce_only) for i in plan.intents] == [(Side.BUY, D("12.5"), True)] * 4
    assert after.planner.managed == {SOL}  # still a position: still managed


def test_plan_cycle_when_position_not_ours_then_reported_and_left_alone() -> None:
    plan, after = plan_cycle(core_settings(config()), sol_snapshot(holding=None, position="50"), CoreState(), NOW)
    assert plan.instruments == ()
    assert plan.intents == ()
    assert plan.notes == ("position of -50 contracts on SOL/USDT:USDT is not a hedge of ours: left alone",)
    assert after.planner.managed == frozenset()


def test_plan_cycle_when_foreign_open_order_then_not_counted_in_flight_and_noted() -> None:
    foreign = replace(our_order(Side.SELL, "50", "150.00"), client_order_id="manual-1")
    plan, _ = plan_cycle(core_settings(config()), replace(sol_snapshot(), open_orders=(foreign,)), CoreState(), NOW)
    sol = plan.instrument(SOL)
    assert sol is not None
    assert sol.in_flight == 0
    # the whole 50 SOL target is ordered: 7,500 USDT in four even slices of 12.5 (at most 13.3 = 2,000 / 150)
    assert [(i.side, i.amount) for i in plan.intents] == [(Side.SELL, D("12.5"))] * 4
    assert "1 open order(s) not placed by hedgebot" in plan.notes[0]


def test_plan_cycle_when_our_order_already_covers_the_target_then_never_placed_twice() -> None:
    resting = our_order(Side.SELL, "50", "150.00")
    plan, after = plan_cycle(core_settings(config()), replace(sol_snapshot(), open_orders=(resting,)), CoreState(), NOW)
    assert plan.intents == ()
    assert plan.holding("SOL").reason is ReasonCode.WAITING_IN_FLIGHT  # type: ignore[union-attr]
    closed = replace(resting, status=OrderStatus.FILLED, filled=D(50))
    plan, _ = plan_cycle(
        core_settings(config()), replace(sol_snapshot(position="50"), open_orders=(closed,)), after, NOW
    )
    assert plan.intents == ()
    assert plan.holding("SOL").reason is ReasonCode.HEDGED_WITHIN_BAND  # type: ignore[union-attr]


def test_plan_cycle_when_spot_price_stale_then_no_trade_and_stale_reason() -> None:
    stale = replace(sol_snapshot(), spot={"SOL": quote("SOL", "150", NOW - timedelta(seconds=16))})
    plan, _ = plan_cycle(core_settings(config()), stale, CoreState(), NOW)
    assert plan.intents == ()
    assert plan.holding("SOL").reason is ReasonCode.STALE_PRICE  # type: ignore[union-attr]
    assert plan.instrument(SOL).reason is ReasonCode.STALE_PRICE  # type: ignore[union-attr]


def test_plan_cycle_when_state_round_trips_through_json_then_equal_and_plan_is_json() -> None:
    cfg = config('[policy]\nmodifiers = ["take_profit"]\n')
    plan, state = plan_cycle(core_settings(cfg), sol_snapshot(), CoreState(), NOW)
    assert state.policy == PolicyState(take_profit={SOL: TakeProfitMemory(D(150), D(150))})
    assert state.planner.instruments[SOL] == InstrumentState(rebalancing=True)
    assert CoreState.from_dict(json.loads(json.dumps(state.to_dict()))) == state
    data = json.loads(json.dumps(plan.to_dict()))
    assert data["intents"][0]["side"] == "sell"
    assert data["holdings"][0]["reason"] == "rebalance"


@settings(max_examples=60, deadline=None)
@given(
    sol=st.decimals(D("0.1"), D(100000), places=1),
    alt=st.decimals(D(1), D(10_000_000), places=0),
    sol_price=st.decimals(D("0.5"), D(1000), places=2),
    alt_price=st.decimals(D("0.001"), D(100), places=3),
    basis=st.decimals(D("0.8"), D("1.2"), places=2),
    ratio=st.decimals(D(0), D("1.5"), places=2),
    max_ratio=st.decimals(D("0.5"), D("1.5"), places=2),
    beta=st.decimals(D("0.3"), D(3), places=2),
    rounding=st.sampled_from(["down", "nearest", "up"]),
)
def test_plan_cycle_when_any_holdings_and_prices_then_shorts_never_exceed_max_hedge_ratio(
    sol: Decimal,
    alt: Decimal,
    sol_price: Decimal,
    alt_price: Decimal,
    basis: Decimal,
    ratio: Decimal,
    max_ratio: Decimal,
    beta: Decimal,
    rounding: str,
) -> None:
    cfg = config(
        f'[hedges.ALT]\nproxy = "{BTC}"\nbeta = {beta}\n[policy]\nratio = {min(ratio, max_ratio)}\n'
        f'[execution]\nrounding = "{rounding}"\n[risk]\nmax_hedge_ratio = {max_ratio}\n'
    )
    perp_price = (sol_price * basis).quantize(D("0.01"))
    snap = snapshot(
        holdings=[
            Holding("SOL", sol, HoldingSource.exchange("main")),
            Holding("ALT", alt, HoldingSource.exchange("main")),
        ],
        spot=[quote("SOL", str(sol_price)), quote("ALT", str(alt_price))],
        markets=[sol_perp_market(), btc_perp_market()],
        tickers=[perp_ticker(SOL, str(perp_price)), perp_ticker(BTC, "60000")],
        books=[
            book(SOL, str(perp_price - D("0.01")), str(perp_price), size="100000"),
            book(BTC, "59999.9", "60000.0", size="100", tick="0.1"),
        ],
    )
    plan, _ = plan_cycle(core_settings(cfg), snap, CoreState(), NOW)
    sells = {
        symbol: sum(i.amount for i in plan.intents if i.symbol == symbol and i.side is Side.SELL)
        for symbol in (SOL, BTC)
    }
    assert sells[SOL] <= sol * max_ratio  # direct: in coins, whatever the basis
    assert sells[BTC] * D(60000) <= alt * alt_price * beta * max_ratio  # proxy: in value x beta
    assert all(i.notional <= cfg.risk.max_order_notional for i in plan.intents)


def test_instruments_to_read_when_config_holdings_and_state_then_named_own_and_managed_perps() -> None:
    cfg = config(
        f'[hedges.AVAX]\nproxy = "{BTC}"\n[hedges.LINK]\ninstrument = "ETH/USDT:USDT"\n'
        '[hedges.ADA]\nenabled = false\n[policy.proxy]\ndefault_instrument = "ETH/USDT:USDT"\n'
    )
    assert instruments_to_read(
        core_settings(cfg), ["SOL", "AVAX", "LINK", "ADA", "USDT"], managed=["DOGE/USDT:USDT"]
    ) == {
        BTC,  # AVAX's proxy
        "ETH/USDT:USDT",  # LINK's configured instrument and the default proxy
        SOL,  # SOL's own perp: its hedge is not configured
        "DOGE/USDT:USDT",  # still managed from an earlier cycle
    }  # not AVAX's, LINK's nor ADA's own perp: their hedges are configured (or off), so nothing trades there


def test_hedge_policy_when_asked_again_for_the_same_settings_then_the_same_policy_and_other_settings_their_own() -> (
    None
):
    """Built once per settings value (a cycle asks several times); settings that differ never share one."""
    seventy = core_settings(config("[policy]\nratio = 0.7\n"))
    fifty = core_settings(config("[policy]\nratio = 0.5\n"))
    assert hedge_policy(seventy) is hedge_policy(seventy)
    assert hedge_policy(fifty).ratio_policy.ratio("SOL", NOW)[0] == Decimal("0.5")
    assert hedge_policy(seventy).ratio_policy.ratio("SOL", NOW)[0] == Decimal("0.7")
    assert hedge_policy(replace(seventy)) == hedge_policy(seventy)  # an equal value: an equal policy
