"""Specification of the risk gate: each limit blocks an intent with its reason, and lets a compliant one through.

Every row starts from the baseline in tests/risk/factories.py (SOL: 60 short of a 100-contract full hedge at a
mark of 150, 20,000 USDT collateral, isolated, 1x) and changes only what the row names. ``value`` is the
hand-computed figure the denial must report (rounded to 4 places); an empty ``codes`` means approved.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from bot.domain import MarginMode, OrderIntent, Side, TradingState
from bot.risk import DenialCode, RiskContext, RiskHistory, RiskLimits, decide
from tests.risk.factories import (
    buy_back,
    default_limits,
    high_maintenance_sol,
    resting,
    sell,
    sol_context,
    sol_position,
)

D = Decimal
C = DenialCode


def verdict(intent: OrderIntent, context: RiskContext, limits: RiskLimits | None = None) -> tuple[set[C], Any]:
    decision = decide(intent, context, limits or default_limits())
    return {d.code for d in decision.denials}, decision


def assert_verdict(
    intent: OrderIntent,
    context: RiskContext,
    codes: set[C],
    value: str | None,
    limits: RiskLimits | None = None,
    key: str | None = None,
    value_of: C | None = None,
) -> None:
    found, decision = verdict(intent, context, limits)
    assert found == codes, decision.summary
    assert decision.approved is (not codes)
    if value is not None:
        (denial,) = [d for d in decision.denials if d.code in codes and value_of in (None, d.code)]
        assert denial.value is not None
        assert denial.value.quantize(D("0.0001")) == D(value)
        assert key is None or key in denial.message


@pytest.mark.parametrize(
    ("intent", "codes", "value"),
    [
        pytest.param(sell("33.3"), set(), None, id="4995 USDT: allowed"),
        pytest.param(sell("33.4"), {C.MAX_ORDER_NOTIONAL}, "5010.0000", id="5010 USDT: blocked"),
        pytest.param(buy_back("40"), {C.MAX_ORDER_NOTIONAL}, "6000.0000", id="a 6000 USDT reduction: blocked too"),
    ],
)
def test_gate_when_order_notional_then_capped_at_max_order_notional(
    intent: OrderIntent, codes: set[C], value: str | None
) -> None:
    assert_verdict(intent, sol_context(), codes, value, key="risk.max_order_notional")


@pytest.mark.parametrize(
    ("intent", "context", "codes", "value"),
    [
        pytest.param(sell("6"), sol_context(), set(), None, id="66 x 150 = 9900: allowed"),
        pytest.param(sell("7"), sol_context(), {C.MAX_TOTAL_HEDGE_NOTIONAL}, "10050.0000", id="67 x 150: blocked"),
        pytest.param(
            sell("2"),
            sol_context(our_orders=[resting(Side.SELL, "5")]),
            {C.MAX_TOTAL_HEDGE_NOTIONAL},
            "10050.0000",
            id="our resting sell of 5 counts: blocked",
        ),
        pytest.param(
            buy_back("10"), sol_context(position=sol_position("-70")), set(), None, id="already above: reducing allowed"
        ),
    ],
)
def test_gate_when_total_hedge_notional_then_capped_including_resting_orders(
    intent: OrderIntent, context: RiskContext, codes: set[C], value: str | None
) -> None:
    limits = default_limits(max_total_hedge_notional=D(10000))
    assert_verdict(intent, context, codes, value, limits, key="risk.max_total_hedge_notional")


@pytest.mark.parametrize(
    ("intent", "context", "limits", "codes", "value"),
    [
        pytest.param(sell("5"), sol_context(position=sol_position("-95")), None, set(), None, id="100/100: allowed"),
        pytest.param(
            sell("5.1"), sol_context(position=sol_position("-95")), None, {C.MAX_HEDGE_RATIO}, "1.0010", id="100.1/100"
        ),
        pytest.param(
            sell("2.1"),
            sol_context(position=sol_position("-95"), our_orders=[resting(Side.SELL, "3")]),
            None,
            {C.MAX_HEDGE_RATIO},
            "1.0010",
            id="95 + resting 3 + 2.1: blocked",
        ),
        pytest.param(
            sell("5", replaces="hbrest01x0"),
            sol_context(position=sol_position("-95"), our_orders=[resting(Side.SELL, "3")]),
            None,
            set(),
            None,
            id="replacing the resting 3 with 5: allowed",
        ),
        pytest.param(sell("1"), sol_context(full_hedge="0"), None, {C.MAX_HEDGE_RATIO}, "61.0000", id="no holdings"),
        pytest.param(
            sell("10"),
            sol_context(position=sol_position("-40")),
            default_limits(max_hedge_ratio=D("0.5")),
            set(),
            None,
            id="50/100 at max 0.5: allowed",
        ),
        pytest.param(
            sell("10.1"),
            sol_context(position=sol_position("-40")),
            default_limits(max_hedge_ratio=D("0.5")),
            {C.MAX_HEDGE_RATIO},
            "0.5010",
            id="50.1/100 at max 0.5: blocked",
        ),
        pytest.param(
            buy_back("10"), sol_context(position=sol_position("-110")), None, set(), None, id="over-hedged: buy back"
        ),
    ],
)
def test_gate_when_short_exceeds_holdings_times_max_hedge_ratio_then_blocked(
    intent: OrderIntent, context: RiskContext, limits: RiskLimits | None, codes: set[C], value: str | None
) -> None:
    assert_verdict(intent, context, codes, value, limits, key="max_hedge_ratio" if codes else None)


@pytest.mark.parametrize(
    ("intent", "context", "codes", "value"),
    [
        pytest.param(buy_back("10"), sol_context(position=sol_position("-10")), set(), None, id="close to flat"),
        pytest.param(
            buy_back("10.1"), sol_context(position=sol_position("-10")), {C.NET_LONG}, "0.1000", id="past flat"
        ),
        pytest.param(
            buy_back("5.1"),
            sol_context(position=sol_position("-10"), our_orders=[resting(Side.BUY, "5")]),
            {C.NET_LONG},
            "0.1000",
            id="with our resting buy of 5",
        ),
        pytest.param(
            buy_back("1", reduce_only=False), sol_context(position=sol_position("0")), {C.NET_LONG}, "1.0000", id="flat"
        ),
    ],
)
def test_gate_when_a_buy_could_leave_a_net_long_then_blocked(
    intent: OrderIntent, context: RiskContext, codes: set[C], value: str | None
) -> None:
    assert_verdict(intent, context, codes, value)


@pytest.mark.parametrize(
    ("intent", "context", "limits", "codes", "value"),
    [
        pytest.param(
            sell("6"), sol_context(collateral="5000", leverage="2"), None, set(), None, id="9900/5000 = 1.98x"
        ),
        pytest.param(
            sell("7"),
            sol_context(collateral="5000", leverage="2"),
            None,
            {C.MAX_LEVERAGE, C.INSUFFICIENT_MARGIN},  # above 2x on the account: above 2x on some instrument
            "2.0100",
            id="2.01x",
        ),
        pytest.param(
            sell("7"),
            sol_context(collateral="5000", leverage="2"),
            default_limits(max_leverage=D(5)),
            {C.MAX_LEVERAGE, C.INSUFFICIENT_MARGIN},
            "2.0100",
            id="a configured 5x is still capped at 2x",
        ),
        pytest.param(sell("1"), sol_context(leverage="3"), None, {C.MAX_LEVERAGE}, "3.0000", id="3x set on venue"),
        pytest.param(
            sell("1"),
            sol_context(collateral="0"),
            None,
            {C.MAX_LEVERAGE, C.INSUFFICIENT_MARGIN},
            None,
            id="no collateral",
        ),
        pytest.param(buy_back("10"), sol_context(collateral="4000"), None, set(), None, id="2.25x: reducing allowed"),
    ],
)
def test_gate_when_leverage_after_the_order_exceeds_max_then_blocked(
    intent: OrderIntent, context: RiskContext, limits: RiskLimits | None, codes: set[C], value: str | None
) -> None:
    assert_verdict(intent, context, codes, value, limits, key="risk.max_leverage", value_of=C.MAX_LEVERAGE)


@pytest.mark.parametrize(
    ("intent", "context", "value"),
    [
        # position -60 at 150 = 9000 and 10 more = 10500 of notional
        pytest.param(sell("10"), sol_context(collateral="10500"), None, id="1x: 10500 margin on 10500: allowed"),
        pytest.param(sell("10"), sol_context(collateral="10499"), "10500.0000", id="1x: 1 USDT short: blocked"),
        pytest.param(sell("10"), sol_context(collateral="5250", leverage="2"), None, id="2x: half the notional"),
        pytest.param(buy_back("10"), sol_context(collateral="100"), None, id="a reduction always passes"),
    ],
)
def test_gate_when_initial_margin_at_the_set_leverage_exceeds_collateral_then_blocked(
    intent: OrderIntent, context: RiskContext, value: str | None
) -> None:
    codes = {C.INSUFFICIENT_MARGIN} if value else set()
    assert_verdict(intent, context, codes, value, key="collateral")


@pytest.mark.parametrize(
    ("intent", "sent", "codes", "value"),
    [
        pytest.param(sell(), 19, set(), None, id="the 20th order: allowed"),
        pytest.param(sell(), 20, {C.MAX_ORDERS_PER_MINUTE}, "21.0000", id="the 21st: blocked"),
        pytest.param(buy_back(), 20, {C.MAX_ORDERS_PER_MINUTE}, "21.0000", id="reductions count too"),
    ],
)
def test_gate_when_orders_in_the_last_minute_reach_max_then_blocked(
    intent: OrderIntent, sent: int, codes: set[C], value: str | None
) -> None:
    context = sol_context(history=RiskHistory(orders_last_minute=sent))
    assert_verdict(intent, context, codes, value, key="risk.max_orders_per_minute")


@pytest.mark.parametrize(
    ("intent", "codes", "value"),
    [
        pytest.param(sell(price="151.50"), set(), None, id="sell 100 bps above: allowed"),
        pytest.param(sell(price="151.51"), {C.MAX_PRICE_DEVIATION}, "100.6667", id="sell 100.67 bps above"),
        pytest.param(buy_back(price="148.50"), set(), None, id="buy 100 bps below: allowed"),
        pytest.param(buy_back(price="148.49"), {C.MAX_PRICE_DEVIATION}, "100.6667", id="buy 100.67 bps below"),
    ],
)
def test_gate_when_price_deviates_from_mark_beyond_max_then_blocked(
    intent: OrderIntent, codes: set[C], value: str | None
) -> None:
    assert_verdict(intent, sol_context(), codes, value, key="risk.max_price_deviation_bps")


@pytest.mark.parametrize(
    ("intent", "context", "codes", "value"),
    [
        pytest.param(sell(), sol_context(mark_age=timedelta(seconds=15)), set(), None, id="mark 15 s old: allowed"),
        pytest.param(sell(), sol_context(mark_age=timedelta(seconds=16)), {C.MAX_DATA_AGE}, "16.0000", id="mark 16 s"),
        pytest.param(
            buy_back(),
            sol_context(position=sol_position(age=timedelta(seconds=16))),
            {C.MAX_DATA_AGE},
            "16.0000",
            id="position 16 s old",
        ),
    ],
)
def test_gate_when_data_is_older_than_max_age_then_blocked(
    intent: OrderIntent, context: RiskContext, codes: set[C], value: str | None
) -> None:
    assert_verdict(intent, context, codes, value, key="risk.max_data_age")


@pytest.mark.parametrize(
    ("intent", "context", "codes", "value"),
    [
        # isolated: short liquidation = entry x (1 + 1/L) / (1 + mmr)
        pytest.param(
            sell(),
            sol_context(market=high_maintenance_sol(), leverage="2"),
            {C.MIN_LIQUIDATION_DISTANCE},
            "0.2500",
            id="isolated 2x mmr 20%: 150 x 1.5 / 1.2 = 187.5, 25% away",
        ),
        pytest.param(
            sell(),
            sol_context(market=high_maintenance_sol(), leverage="1"),
            set(),
            None,
            id="isolated 1x mmr 20%: 150 x 2 / 1.2 = 250, 66.7% away",
        ),
        pytest.param(sell(), sol_context(leverage="2"), set(), None, id="isolated 2x mmr 1%: 222.77, 48.5% away"),
        pytest.param(
            sell(),
            sol_context(position=sol_position("-60", entry="120"), leverage="2"),
            {C.MIN_LIQUIDATION_DISTANCE},
            "0.2306",
            id="isolated 2x, short entered at 120: entry 8700/70 -> 184.58, 23.06% away",
        ),
        # cross: short liquidation = (collateral + cost at mark) / (size x (1 + mmr)); cost = 70 x 150 = 10500
        pytest.param(
            sell(),
            sol_context(market=high_maintenance_sol(), margin_mode=MarginMode.CROSS, collateral="5250", leverage="2"),
            {C.MIN_LIQUIDATION_DISTANCE},
            "0.2500",
            id="cross mmr 20%, 5250 collateral: 15750 / 84 = 187.5",
        ),
        pytest.param(
            sell(),
            sol_context(market=high_maintenance_sol(), margin_mode=MarginMode.CROSS, collateral="6000", leverage="2"),
            set(),
            None,
            id="cross mmr 20%, 6000 collateral: 16500 / 84 = 196.43, 30.95% away",
        ),
        pytest.param(
            buy_back(),
            sol_context(market=high_maintenance_sol(), leverage="2"),
            set(),
            None,
            id="a reduction is never blocked by liquidation distance",
        ),
    ],
)
def test_gate_when_liquidation_after_the_order_is_too_close_then_blocked(
    intent: OrderIntent, context: RiskContext, codes: set[C], value: str | None
) -> None:
    assert_verdict(intent, context, codes, value, key="risk.min_liquidation_distance")


@pytest.mark.parametrize(
    ("intent", "context", "codes", "value"),
    [
        pytest.param(sell(), sol_context(history=RiskHistory(turnover_today=D(98000))), set(), None, id="99,500"),
        pytest.param(
            sell(),
            sol_context(history=RiskHistory(turnover_today=D(98000)), our_orders=[resting(Side.SELL, "5")]),
            {C.MAX_DAILY_TURNOVER},
            "100250.0000",
            id="98,000 + resting 750 + 1,500: blocked",
        ),
        pytest.param(
            buy_back(), sol_context(history=RiskHistory(turnover_today=D(120000))), set(), None, id="reducing allowed"
        ),
    ],
)
def test_gate_when_daily_turnover_would_exceed_max_then_increases_blocked(
    intent: OrderIntent, context: RiskContext, codes: set[C], value: str | None
) -> None:
    assert_verdict(intent, context, codes, value, key="risk.max_daily_turnover")


@pytest.mark.parametrize(
    ("intent", "cost", "limit", "codes", "value"),
    [
        pytest.param(sell(), "99.99", "100", set(), None, id="99.99 paid: allowed"),
        pytest.param(sell(), "100", "100", {C.MAX_DAILY_FUNDING_COST}, "100.0000", id="100 paid: blocked"),
        pytest.param(buy_back(), "150", "100", set(), None, id="reducing allowed"),
        pytest.param(sell(), "-20", "0", set(), None, id="limit 0, funding received: allowed"),
        pytest.param(sell(), "0.01", "0", {C.MAX_DAILY_FUNDING_COST}, "0.0100", id="limit 0, any paid: blocked"),
    ],
)
def test_gate_when_daily_funding_cost_reaches_max_then_increases_blocked(
    intent: OrderIntent, cost: str, limit: str, codes: set[C], value: str | None
) -> None:
    context = sol_context(history=RiskHistory(funding_cost_today=D(cost)))
    limits = default_limits(max_daily_funding_cost=D(limit))
    assert_verdict(intent, context, codes, value, limits, key="risk.max_daily_funding_cost")


@pytest.mark.parametrize(
    ("state", "intent", "position", "codes"),
    [
        pytest.param(TradingState.ACTIVE, sell(), "-60", set(), id="active: a sell"),
        pytest.param(TradingState.HALTED, sell(), "-60", {C.HALTED}, id="halted: a sell"),
        pytest.param(TradingState.HALTED, buy_back(), "-60", {C.HALTED}, id="halted: even a reduction"),
        pytest.param(TradingState.REDUCING, buy_back(), "-60", set(), id="reducing: a reduce-only buy-back"),
        pytest.param(TradingState.REDUCING, sell(), "-60", {C.REDUCING_ONLY}, id="reducing: a sell"),
        pytest.param(
            TradingState.REDUCING, buy_back(reduce_only=False), "-60", {C.REDUCING_ONLY}, id="reducing: not reduce-only"
        ),
        pytest.param(
            TradingState.REDUCING, buy_back("10.1"), "-10", {C.REDUCING_ONLY, C.NET_LONG}, id="reducing: past flat"
        ),
    ],
)
def test_gate_when_trading_state_restricts_then_only_allowed_orders_pass(
    state: TradingState, intent: OrderIntent, position: str, codes: set[C]
) -> None:
    found, _ = verdict(intent, sol_context(state=state, position=sol_position(position)))
    assert found == codes


@pytest.mark.parametrize(
    "intent",
    [sell("0"), sell("-1"), sell(price="0"), replace(sell(), post_only=False)],
    ids=["zero", "negative", "free", "not post-only: a hard limit"],
)
def test_gate_when_intent_is_malformed_then_denied(intent: OrderIntent) -> None:
    found, decision = verdict(intent, sol_context())
    assert C.INVALID_INTENT in found
    assert not decision.approved


def test_gate_when_limits_exceed_hard_caps_then_hard_caps_win() -> None:
    limits = default_limits(max_leverage=D(10), max_hedge_ratio=D(3))
    assert (limits.max_leverage, limits.max_hedge_ratio) == (D(2), D("1.5"))
