"""Specification of a cycle through the gate: intents in order, approved ones counting, failing closed; and the
property that no approved intent ever breaks a limit."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import MarginMode, OrderIntent, Side, TradingState
from bot.risk import DenialCode, RiskContext, RiskHistory, RiskLimits, decide, evaluate
from bot.risk.checks import CHECKS
from bot.risk.decision import Denial
from tests.factories import NOW, perp_ticker, short_position, snapshot, sol_perp_market
from tests.risk.factories import SOL, buy_back, default_limits, resting, sell, sol_context, sol_position

D = Decimal


@pytest.mark.parametrize(
    ("intents", "context", "approved"),
    [
        pytest.param(
            [sell("25"), sell("20")], sol_context(), [True, False], id="60 + 25 = 85 fits; + 20 = 105 does not"
        ),
        pytest.param(
            [sell("30"), sell("10"), sell("0.1")],
            sol_context(),
            [True, True, False],
            id="60 + 30 = 90, + 10 = 100 exactly, + 0.1 = 100.1",
        ),
        pytest.param(
            [sell("50"), sell("5")], sol_context(), [False, True], id="a denied intent does not count toward the next"
        ),
        pytest.param(
            [sell(), sell(), sell()],
            sol_context(history=RiskHistory(orders_last_minute=19)),
            [True, False, False],
            id="the 20th order of the minute is the last",
        ),
        pytest.param(
            [sell("5", replaces="hbrest01x0"), sell("5", replaces="hbrest01x0")],
            sol_context(position=sol_position("-85"), our_orders=[resting(Side.SELL, "10")]),
            [True, True],
            id="85 + two 5s replacing the resting 10: 95, the replaced 10 no longer counts",
        ),
    ],
)
def test_evaluate_when_a_cycle_has_several_intents_then_approved_ones_count_toward_the_next(
    intents: list[OrderIntent], context: RiskContext, approved: list[bool]
) -> None:
    decisions = evaluate(intents, context, default_limits(max_order_notional=D(10000)))
    assert [d.approved for d in decisions] == approved
    assert [d.intent for d in decisions] == intents


def test_decide_when_a_check_raises_then_denied_naming_the_check_and_others_still_reported() -> None:
    def check_exploding(intent: OrderIntent, ctx: RiskContext, limits: RiskLimits) -> Denial | None:
        raise ZeroDivisionError("boom")

    decision = decide(sell("40"), sol_context(), default_limits(), checks=(*CHECKS, check_exploding))
    codes = [d.code for d in decision.denials]
    assert codes == [DenialCode.MAX_ORDER_NOTIONAL, DenialCode.CHECK_FAILED]
    assert "check_exploding" in decision.denials[-1].message
    assert "ZeroDivisionError: boom" in decision.denials[-1].message


@pytest.mark.parametrize(
    "context",
    [
        pytest.param(replace(sol_context(), tickers={}), id="no mark price"),
        pytest.param(replace(sol_context(), positions={}), id="no position data"),
        pytest.param(replace(sol_context(), markets={}), id="no market specification"),
        pytest.param(replace(sol_context(), leverage={}, positions={SOL: replace(sol_position(), leverage=None)}),
                     id="leverage unknown"),
        pytest.param(replace(sol_context(), now=sol_context().now.replace(tzinfo=None)), id="naive clock"),
    ],
)  # fmt: skip
def test_decide_when_data_is_missing_then_fails_closed(context: RiskContext) -> None:
    decision = decide(sell(), context, default_limits())
    assert not decision.approved
    assert DenialCode.CHECK_FAILED in {d.code for d in decision.denials}


# -- property: whatever the inputs, an approved intent breaks no limit -------------------------------------------

MARK = D(150)
tenths = st.integers(min_value=1, max_value=400).map(lambda n: D(n) / 10)
bps_offsets = st.integers(min_value=-120, max_value=120).map(lambda n: (MARK * (10000 + n) / 10000).quantize(D("0.01")))


@st.composite
def intents(draw: st.DrawFn) -> OrderIntent:
    side = draw(st.sampled_from([Side.SELL, Side.BUY]))
    maker = sell if side is Side.SELL else buy_back
    return maker(str(draw(tenths)), str(draw(bps_offsets)))


@st.composite
def cycles(draw: st.DrawFn) -> tuple[RiskContext, RiskLimits, list[OrderIntent]]:
    orders = [
        resting(Side.SELL, str(amount), str(draw(bps_offsets)), f"hbrest0{n}x0")
        for n, amount in enumerate(draw(st.lists(tenths, max_size=2)))
    ]
    context = sol_context(
        position=sol_position(str(-draw(st.integers(min_value=0, max_value=1000)) / 10)),
        our_orders=orders,
        full_hedge=str(draw(st.integers(min_value=200, max_value=2000)) / 10),
        collateral=str(draw(st.integers(min_value=2000, max_value=60000))),
        state=draw(st.sampled_from([*[TradingState.ACTIVE] * 3, TradingState.REDUCING, TradingState.HALTED])),
        history=RiskHistory(
            orders_last_minute=draw(st.integers(min_value=0, max_value=22)),
            turnover_today=D(draw(st.integers(min_value=0, max_value=100000))),
        ),
    )
    limits = default_limits(
        max_total_hedge_notional=D(draw(st.sampled_from([5000, 20000, 50000]))),
        max_hedge_ratio=draw(st.sampled_from([D("0.5"), D(1), D("1.5")])),
    )
    return context, limits, draw(st.lists(intents(), min_size=1, max_size=5))


@settings(max_examples=300, deadline=None)
@given(cycles())
def test_evaluate_when_any_inputs_then_no_approved_intent_breaks_a_limit(
    cycle: tuple[RiskContext, RiskLimits, list[OrderIntent]],
) -> None:
    context, limits, planned = cycle
    position = context.positions[SOL].contracts
    sells = sum((o.remaining for o in context.our_orders), D(0))  # every resting order is a sell
    buys = D(0)
    committed = sum((o.remaining * (o.price or MARK) for o in context.our_orders), D(0))
    sent = context.history.orders_last_minute
    for decision in evaluate(planned, context, limits):
        if not decision.approved:
            continue
        i = decision.intent
        sent += 1
        notional = i.amount * i.price
        assert context.state is not TradingState.HALTED
        assert notional <= limits.max_order_notional
        assert abs(i.price - MARK) / MARK * 10000 <= limits.max_price_deviation_bps
        assert sent <= limits.max_orders_per_minute
        if i.side is Side.SELL:
            sells += i.amount
            committed += notional
            short = sells - position
            assert context.state is TradingState.ACTIVE
            assert short <= context.full_hedge[SOL] * limits.max_hedge_ratio
            assert short * MARK <= limits.max_total_hedge_notional
            assert short * MARK <= context.collateral * limits.max_leverage
            assert context.history.turnover_today + committed <= limits.max_daily_turnover
        else:
            buys += i.amount
            assert position + buys <= 0
            assert context.state is not TradingState.REDUCING or i.reduce_only


def test_risk_context_when_built_from_a_snapshot_then_the_gate_decides_on_its_data() -> None:
    snap = snapshot(
        markets=[sol_perp_market()], tickers=[perp_ticker(SOL, "150")], positions=[short_position(SOL, "95", "150")]
    )
    context = RiskContext.from_snapshot(
        snap,
        now=NOW,
        state=TradingState.ACTIVE,
        our_orders=[resting(Side.SELL, "3")],
        full_hedge={SOL: D(100)},
        collateral=D(20000),
        margin_mode=MarginMode.ISOLATED,
        leverage={SOL: D(1)},
        history=RiskHistory(),
    )
    assert [d.approved for d in evaluate([sell("2"), sell("0.1")], context, default_limits())] == [True, False]
