"""Specification of the modifiers: funding_guard (scale down on costly funding) and take_profit (state in/out)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from policies.funding_guard import FundingGuard, annual_funding_cost
from policies.state import PolicyState, TakeProfitMemory
from policies.take_profit import TakeProfit
from tests.core.factories import target
from tests.factories import perp_ticker

D = Decimal
GUARD = FundingGuard(max_annual_cost=D("0.20"), floor=D("0.5"))
SOL = "SOL/USDT:USDT"


@pytest.mark.parametrize(
    ("rate", "interval_hours", "cost", "factor"),
    [
        ("0.0001", "8", "-0.1095", "1"),  # longs pay shorts: the short receives 0.01% x 3 x 365 = 10.95% a year
        ("-0.0001", "8", "0.1095", "1"),  # the short pays 10.95%: under the 20% budget
        ("-0.0002", "8", "0.219", str(D("0.20") / D("0.219"))),  # 21.9%: scaled to 0.2 / 0.219 = 91.3%
        ("-0.0004", "8", "0.438", "0.5"),  # 0.2 / 0.438 = 45.7%, below the floor: 50%
        ("-0.003", "8", "3.285", "0.5"),  # SOL on 10 Oct 2025: -0.3% per 8 h
        ("-0.0001", "1", "0.876", "0.5"),  # hourly funding: 24 x 365 settlements
    ],
)
def test_funding_guard_when_short_pays_more_than_budget_then_scaled_down_to_floor(
    rate: str, interval_hours: str, cost: str, factor: str
) -> None:
    ticker = replace(perp_ticker(SOL, "150", funding_rate=rate), funding_interval_hours=D(interval_hours))
    assert annual_funding_cost(ticker) == D(cost)
    result, note, state = GUARD.apply(target(SOL, "-100"), ticker, PolicyState())
    assert result == D(factor)
    assert "a year in funding" in note  # the cost is reported either way
    assert state == PolicyState()


def test_funding_guard_when_rate_unknown_then_unscaled_and_says_so() -> None:
    ticker = replace(perp_ticker(SOL, "150"), funding_rate=None)
    factor, note, _ = GUARD.apply(target(SOL, "-100"), ticker, PolicyState())
    assert factor == 1
    assert note == "funding rate unknown: hedge not scaled"


TAKE = TakeProfit(trigger_drop=D("0.20"), close_fraction=D("0.5"), rearm_recovery=D("0.10"))


def test_take_profit_when_price_falls_recovers_and_falls_again_then_takes_rearms_and_takes() -> None:
    # (mark, expected factor, expected memory after the cycle)
    steps = [
        ("100", "1", TakeProfitMemory(D(100), D(100), True)),  # the hedge is built: anchor 100, armed
        ("90", "1", TakeProfitMemory(D(100), D(90), True)),  # -10%: below the 20% trigger
        ("80", "0.5", TakeProfitMemory(D(100), D(80), False)),  # -20%: close half the hedge, disarm
        ("70", "0.5", TakeProfitMemory(D(100), D(70), False)),  # the low keeps falling; profit stays taken
        ("76", "0.5", TakeProfitMemory(D(100), D(70), False)),  # +8.6% from the low: not yet
        ("77", "1", TakeProfitMemory(D(77), D(77), True)),  # +10% from the low: re-armed, full hedge, anchor 77
        ("61.6", "0.5", TakeProfitMemory(D(77), D("61.6"), False)),  # -20% from the new anchor: take again
    ]
    state = PolicyState()
    for mark, factor, memory in steps:
        result, _, state = TAKE.apply(target(SOL, "-10"), perp_ticker(SOL, mark), state)
        assert result == D(factor), mark
        assert state.take_profit[SOL] == memory, mark


def test_take_profit_when_applied_then_input_state_is_untouched() -> None:
    before = PolicyState()
    _, _, after = TAKE.apply(target(SOL, "-10"), perp_ticker(SOL, "100"), before)
    assert before.take_profit == {}
    assert after.take_profit == {SOL: TakeProfitMemory(D(100), D(100), True)}


def test_take_profit_when_no_price_this_cycle_then_keeps_memory_and_its_factor() -> None:
    state = PolicyState(take_profit={SOL: TakeProfitMemory(D(100), D(70), armed=False)})
    factor, note, after = TAKE.apply(target(SOL, "-10"), None, state)
    assert (factor, after) == (D("0.5"), state)
    assert "memory kept" in note


def test_policy_state_when_round_tripped_through_dict_then_equal() -> None:
    state = PolicyState(take_profit={SOL: TakeProfitMemory(D("100.5"), D("70.25"), armed=False)})
    assert PolicyState.from_dict(state.to_dict()) == state
