"""Specification of the trading states, the daily-limit events, the kill-switch file and the limits' inputs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from bot.config import RiskConfig
from bot.domain import HedgeTarget, MarginMode, TargetComponent, TradingState
from bot.risk import (
    RiskHistory,
    RiskState,
    StateEvent,
    Trigger,
    apply_events,
    check_kill_switch,
    daily_limit_events,
    full_hedge_of,
    transition,
    utc_day_start,
)
from bot.risk.liquidation import liquidation_distance, liquidation_price
from bot.settings.from_config import risk_limits
from tests.factories import NOW
from tests.risk.factories import SOL, default_limits

D = Decimal
A, R, H = TradingState.ACTIVE, TradingState.REDUCING, TradingState.HALTED
T = Trigger


@pytest.mark.parametrize(
    ("before", "cause", "trigger", "after"),
    [
        (A, None, T.KILL_SWITCH, H),
        (R, T.OPERATOR_REDUCE, T.KILL_SWITCH, H),
        (A, None, T.FATAL_ERROR, H),
        (A, None, T.RECONCILIATION_FAILED, H),
        (R, T.DAILY_FUNDING_REACHED, T.LEVERAGE_CHANGED, H),
        (A, None, T.DAILY_TURNOVER_REACHED, R),
        (A, None, T.DAILY_FUNDING_REACHED, R),
        (H, T.KILL_SWITCH, T.DAILY_FUNDING_REACHED, H),  # automatic events never loosen
        (H, T.KILL_SWITCH, T.NEW_TRADING_DAY, H),
        (R, T.DAILY_TURNOVER_REACHED, T.NEW_TRADING_DAY, A),  # a daily REDUCING ends with the day
        (R, T.DAILY_FUNDING_REACHED, T.NEW_TRADING_DAY, A),
        (R, T.OPERATOR_REDUCE, T.NEW_TRADING_DAY, R),  # the operator's REDUCING stays
        (A, None, T.NEW_TRADING_DAY, A),
        (A, None, T.OPERATOR_HALT, H),
        (A, None, T.OPERATOR_REDUCE, R),
        (H, T.KILL_SWITCH, T.OPERATOR_REDUCE, R),  # only the operator loosens
        (H, T.FATAL_ERROR, T.OPERATOR_RESUME, A),
        (R, T.DAILY_TURNOVER_REACHED, T.OPERATOR_RESUME, A),
    ],
)
def test_transition_when_event_then_state_follows_the_table(
    before: TradingState, cause: Trigger | None, trigger: Trigger, after: TradingState
) -> None:
    step = transition(RiskState(before, cause), StateEvent(trigger, "why"))
    assert step.after.trading is after
    assert step.changed is (after is not before or trigger.value.startswith("operator"))
    if step.changed:
        assert (step.after.cause, step.after.detail) == (trigger, "why")


def test_transition_when_daily_reducing_then_operator_reduce_then_new_day_stays_reducing() -> None:
    state, changes = apply_events(
        RiskState(),
        [StateEvent(T.DAILY_TURNOVER_REACHED), StateEvent(T.OPERATOR_REDUCE), StateEvent(T.NEW_TRADING_DAY)],
    )
    assert state.trading is R
    assert [c.after.cause for c in changes] == [T.DAILY_TURNOVER_REACHED, T.OPERATOR_REDUCE]


def test_apply_events_when_resumed_while_kill_switch_present_then_halted_again() -> None:
    state, changes = apply_events(
        RiskState(H, T.KILL_SWITCH), [StateEvent(T.OPERATOR_RESUME), StateEvent(T.KILL_SWITCH)]
    )
    assert state.trading is H
    assert [c.after.trading for c in changes] == [A, H]


@pytest.mark.parametrize(
    ("turnover", "funding", "triggers"),
    [
        ("99999.99", "99.99", []),
        ("100000", "0", [T.DAILY_TURNOVER_REACHED]),
        ("0", "100", [T.DAILY_FUNDING_REACHED]),
        ("150000", "-500", [T.DAILY_TURNOVER_REACHED]),  # funding received is no cost
    ],
)
def test_daily_limit_events_when_history_reaches_a_limit_then_event(
    turnover: str, funding: str, triggers: list[Trigger]
) -> None:
    history = RiskHistory(turnover_today=D(turnover), funding_cost_today=D(funding))
    assert [e.trigger for e in daily_limit_events(history, default_limits())] == triggers


def test_check_kill_switch_when_file_exists_then_halt_event(tmp_path: Path) -> None:
    switch = tmp_path / "hedgebot.halt"
    assert check_kill_switch(switch) is None
    switch.touch()
    event = check_kill_switch(switch)
    assert event is not None
    assert event.trigger is T.KILL_SWITCH
    assert str(switch) in event.detail


def test_check_kill_switch_when_existence_cannot_be_checked_then_fails_closed(tmp_path: Path) -> None:
    event = check_kill_switch(tmp_path / ("x" * 5000))  # ENAMETOOLONG: the file system cannot answer
    assert event is not None
    assert event.trigger is T.KILL_SWITCH


def test_risk_limits_when_built_from_the_configuration_then_every_key_carried() -> None:
    config = RiskConfig(max_order_notional=D(500), max_data_age=timedelta(seconds=5), max_orders_per_minute=3)
    limits = risk_limits(config)
    assert (limits.max_order_notional, limits.max_data_age, limits.max_orders_per_minute) == (
        D(500),
        timedelta(seconds=5),
        3,
    )
    assert limits.max_leverage == D(2)


def test_full_hedge_of_when_targets_then_absolute_full_contracts_per_instrument() -> None:
    target = HedgeTarget(
        symbol=SOL,
        contracts=D(-50),
        notional=D(7500),
        components=(TargetComponent("SOL", D(15000), D("0.5"), D(1), D(7500)),),
        full_contracts=D(-100),
    )
    assert full_hedge_of([target]) == {SOL: D(100)}


@pytest.mark.parametrize(
    ("moment", "start"),
    [
        (NOW, datetime(2025, 10, 10, tzinfo=UTC)),
        (datetime(2025, 10, 10, 1, 30, tzinfo=timezone(timedelta(hours=3))), datetime(2025, 10, 9, tzinfo=UTC)),
    ],
)
def test_utc_day_start_when_any_timezone_then_midnight_utc(moment: datetime, start: datetime) -> None:
    assert utc_day_start(moment) == start


def test_liquidation_distance_when_mark_moves_toward_it_then_fraction_of_mark() -> None:
    assert liquidation_distance(D("187.5"), D(150)) == D("0.25")
    assert liquidation_distance(D(120), D(150)) == D("0.2")
    assert liquidation_distance(None, D(150)) is None


@pytest.mark.parametrize(
    ("size", "cost", "mode", "leverage", "equity", "price"),
    [
        # isolated short: entry x (1 + 1/L) / (1 + m), m = 1 %
        ("-10", "1500", MarginMode.ISOLATED, "1", "0", "297.0297"),
        ("-10", "1500", MarginMode.ISOLATED, "2", "0", "222.7723"),
        # isolated long: entry x (1 - 1/L) / (1 - m): at 1x it cannot be liquidated
        ("10", "1500", MarginMode.ISOLATED, "1", "0", None),
        ("10", "1500", MarginMode.ISOLATED, "2", "0", "75.7576"),
        # cross short: (equity + cost) / (Q (1 + m)); cross long: (cost - equity) / (Q (1 - m))
        ("-10", "1500", MarginMode.CROSS, "1", "750", "222.7723"),
        ("10", "1500", MarginMode.CROSS, "1", "750", "75.7576"),
        ("10", "1500", MarginMode.CROSS, "1", "1500", None),
    ],
)
def test_liquidation_price_when_position_then_formula_of_the_margin_mode(
    size: str, cost: str, mode: MarginMode, leverage: str, equity: str, price: str | None
) -> None:
    found = liquidation_price(
        size=D(size), cost=D(cost), maintenance_margin_rate=D("0.01"), margin_mode=mode, leverage=D(leverage),
        equity=D(equity),
    )  # fmt: skip
    assert (found.quantize(D("0.0001")) if found is not None else None) == (D(price) if price else None)
