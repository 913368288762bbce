"""Start-up preflight: each way a venue account can be unfit to trade, and what the bot says about it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from bot.clock import ManualClock
from bot.domain import Balance, MarginMode
from bot.errors import (
    AuthenticationFailed,
    ClockSkew,
    ExchangeUnavailable,
    OrderRejected,
    PermissionDenied,
    PreflightError,
    RateLimited,
    VenueUnsupported,
)
from bot.exchange.preflight import PreflightPlan, check_margin, market_problems, run_preflight
from tests.exchange.fake_port import FakePort
from tests.factories import NOW, btc_perp_market, sol_perp_market, sol_spot_market

D = Decimal
CLOCK = ManualClock(NOW)
PLAN = PreflightPlan(hedge_symbols=("SOL/USDT:USDT", "BTC/USDT:USDT"), spot_assets=("SOL",), leverage=D(2))


def venue(**changes: object) -> FakePort:
    port = FakePort(
        markets=[sol_perp_market(), btc_perp_market(), sol_spot_market()],
        balances={"USDT": Balance("USDT", D(5000), D(0), D(5000))},
    )
    for name, value in changes.items():
        setattr(port, name, value)
    return port


async def test_run_preflight_when_the_account_is_fit_then_every_instrument_is_set_up_in_order() -> None:
    port = venue()
    report = await run_preflight(port, PLAN, CLOCK)
    assert report.leverage == {"SOL/USDT:USDT": D(2), "BTC/USDT:USDT": D(2)}
    assert report.margin_balances["USDT"].free == D(5000)
    assert [name for name, args in port.calls if args[:1] == ("SOL/USDT:USDT",)] == [
        "ensure_one_way_mode",
        "set_margin_mode",
        "set_leverage",
        "fetch_leverage",
    ]
    assert port.margin_modes == {"SOL/USDT:USDT": MarginMode.ISOLATED, "BTC/USDT:USDT": MarginMode.ISOLATED}


@pytest.mark.parametrize(
    ("failure", "cause", "advice"),
    [
        (AuthenticationFailed("bybit: 10003 API key is invalid"), "the API key was refused", "Check the key, secret"),
        (PermissionDenied("bybit: 10005 permission denied"), "the API key may not do this", "trade derivatives"),
        (ExchangeUnavailable("bybit: 503"), "the venue cannot be reached", "the venue's status page"),
        (RateLimited("bybit: 10006"), "the venue cannot be reached", "the venue's status page"),
        (
            ClockSkew("bybit: 10002 timestamp"),
            "the venue refused the request's timestamp",
            "Synchronise this machine's clock",
        ),
    ],
)
async def test_run_preflight_when_the_account_cannot_be_read_then_refuses_naming_the_cause_and_what_to_do(
    failure: Exception, cause: str, advice: str
) -> None:
    port = venue()
    port.failures["fetch_margin_balances"] = failure
    with pytest.raises(PreflightError) as refused:
        await run_preflight(port, PLAN, CLOCK)
    message = str(refused.value)
    assert message.startswith(f"{port.venue}: cannot read the account: {cause} ({failure})")
    assert advice in message.split(f"({failure})")[1]
    assert port.called("set_leverage") == []


async def test_run_preflight_when_hedge_mode_cannot_be_switched_off_then_says_how_to_get_one_way_mode() -> None:
    port = venue()
    port.failures["ensure_one_way_mode"] = OrderRejected("bybit: 110028 Open orders exist")
    with pytest.raises(PreflightError) as refused:
        await run_preflight(port, PLAN, CLOCK)
    message = str(refused.value)
    assert "SOL/USDT:USDT: cannot switch to one-way position mode" in message
    assert "110028 Open orders exist" in message
    assert "close the positions and cancel the orders on SOL/USDT:USDT" in message
    assert port.called("set_leverage") == []


@pytest.mark.parametrize(("offset", "word"), [(timedelta(seconds=9), "behind"), (timedelta(seconds=-9), "ahead of")])
async def test_run_preflight_when_our_clock_is_off_then_refuses(offset: timedelta, word: str) -> None:
    port = venue(time=NOW + offset)
    with pytest.raises(PreflightError, match=f"9.0s {word} the venue's"):
        await run_preflight(port, PLAN, CLOCK)


async def test_run_preflight_when_the_venue_replays_history_and_the_check_is_off_then_passes() -> None:
    port = venue(time=NOW - timedelta(days=400))  # the simulator's replayed clock
    report = await run_preflight(port, replace(PLAN, max_clock_skew=None), CLOCK)
    assert report.clock_skew == timedelta(days=-400)


@pytest.mark.parametrize(
    ("plan", "problem"),
    [
        (PreflightPlan(hedge_symbols=("DOGE/USDT:USDT",)), "hedge instrument DOGE/USDT:USDT is not listed"),
        (PreflightPlan(hedge_symbols=("SOL/USDT",)), "hedge instrument SOL/USDT is not a linear perpetual"),
        (PreflightPlan(hedge_symbols=("SOL/USDT:USDT",), quote="USDC"), "settles in USDT, not USDC"),
        (PreflightPlan(hedge_symbols=(), spot_assets=("PEPE",)), "holding PEPE has no PEPE/USDT spot market"),
    ],
)
async def test_run_preflight_when_markets_fall_short_then_refuses_before_changing_settings(
    plan: PreflightPlan, problem: str
) -> None:
    port = venue()
    with pytest.raises(PreflightError, match=problem):
        await run_preflight(port, plan, CLOCK)
    assert port.called("ensure_one_way_mode") == []


@pytest.mark.parametrize(
    ("symbol", "key", "problem"),
    [
        (
            "SOLL/USDT:USDT",
            "hedges.SOL.instrument",
            "hedges.SOL.instrument: SOLL/USDT:USDT is not listed (closest listed: SOL/USDT:USDT)",  # not the halted BTC
        ),
        (
            "BTC/USDT:USDT",
            "hedges.LINK.proxy, policy.proxy.default_instrument",
            "hedges.LINK.proxy, policy.proxy.default_instrument: BTC/USDT:USDT is not trading",
        ),
        (
            "SOL/USDT",
            "hedges.SOL.instrument",
            "hedges.SOL.instrument: SOL/USDT is not a linear perpetual (closest listed: SOL/USDT:USDT)",
        ),
    ],
    ids=["not listed", "not trading", "spot market"],
)
def test_market_problems_when_a_configured_instrument_falls_short_then_names_its_key_and_the_closest_listed(
    symbol: str, key: str, problem: str
) -> None:
    markets = {m.symbol: m for m in (sol_perp_market(), replace(btc_perp_market(), active=False), sol_spot_market())}
    plan = PreflightPlan(hedge_symbols=(symbol,), keys={symbol: key})
    assert market_problems(markets, plan) == [problem]


def test_market_problems_when_a_perp_is_halted_and_a_holding_is_static_then_only_the_halt_counts() -> None:
    halted = replace(sol_perp_market(), active=False)
    plan = PreflightPlan(hedge_symbols=("SOL/USDT:USDT",), spot_assets=("PEPE",), static_assets=("PEPE",))
    assert market_problems({"SOL/USDT:USDT": halted}, plan) == ["hedge instrument SOL/USDT:USDT is not trading"]


@pytest.mark.parametrize(
    ("step", "failure", "message"),
    [
        ("ensure_one_way_mode", ExchangeUnavailable("110024 existing position"), "cannot switch to one-way"),
        ("set_margin_mode", ExchangeUnavailable("3400045 set margin mode failed"), "cannot set isolated margin"),
        ("set_leverage", VenueUnsupported("binance accepts whole-number leverage only"), "cannot set leverage 2"),
        ("fetch_leverage", ExchangeUnavailable("503"), "cannot read leverage back"),
    ],
)
async def test_run_preflight_when_a_setting_fails_then_refuses_naming_the_instrument(
    step: str, failure: Exception, message: str
) -> None:
    port = venue()
    port.failures[step] = failure
    with pytest.raises(PreflightError, match=f"bybit SOL/USDT:USDT: {message}"):
        await run_preflight(port, PLAN, CLOCK)


async def test_run_preflight_when_leverage_reads_back_different_then_refuses() -> None:
    port = venue(leverage_read_back=D(10))
    with pytest.raises(PreflightError, match="reads back as 10 after setting 2"):
        await run_preflight(port, PLAN, CLOCK)


@pytest.mark.parametrize("leverage", [D(3), D("0.5")])
async def test_run_preflight_when_the_plan_asks_beyond_the_hard_limit_then_refuses_before_any_request(
    leverage: Decimal,
) -> None:
    port = venue()
    with pytest.raises(PreflightError, match="outside the hard limits"):
        await run_preflight(port, PreflightPlan(hedge_symbols=("SOL/USDT:USDT",), leverage=leverage), CLOCK)
    assert port.calls == []


@pytest.mark.parametrize(
    ("free", "required", "left"),
    [("5000", "4999.99", "0.01"), ("5000", "5000", "0"), ("750.50", "0", "750.50")],
)
def test_check_margin_when_the_wallet_covers_the_plan_then_the_headroom(free: str, required: str, left: str) -> None:
    balances = {"USDT": Balance("USDT", D(free), D(0), D(free))}
    assert check_margin(balances, D(required)) == D(left)


@pytest.mark.parametrize(
    ("balances", "freed", "message"),
    [
        (
            {"USDT": Balance("USDT", D("999.5"), D(500), D("1499.5"))}, "0",
            "999.5 USDT is available .* deposit 0.5 USDT",
        ),
        ({}, "0", "0 USDT is available for margin but the plan needs 1000 USDT"),
        (
            {"USDT": Balance("USDT", D(400), D(500), D(900))}, "500",
            r"900 USDT is available for margin \(500 USDT of it freed by cancelling our resting orders\) .* "
            "deposit 100 USDT",
        ),
    ],
)  # fmt: skip
def test_check_margin_when_the_wallet_falls_short_then_says_how_much_is_missing(
    balances: dict[str, Balance], freed: str, message: str
) -> None:
    with pytest.raises(PreflightError, match=message):
        check_margin(balances, D(1000), freed=D(freed))
