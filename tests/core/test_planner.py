"""Specification of the planner, instrument by instrument: band, hysteresis, in-flight, cancels, reduce-only,
dust, minimums, depth and notional slicing, passive prices, re-pricing, holds. Hand-computed numbers.

Unless a case says otherwise: SOL perp (lot 0.1, min 0.1, min notional 5), mark 150, book 149.99 / 150.00 with
1000 contracts on each of 5 levels a side, band 5%, hysteresis 0.5, min_notional 10, rounding down.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from bot.core.planner.instrument import InstrumentInput, plan_instrument
from bot.core.planner.state import InstrumentState
from bot.domain import ReasonCode, Rounding, Side
from policies.base import InstrumentHold
from tests.core.factories import our_order, params, sol_book, sol_input, target
from tests.factories import NOW, book, btc_mini_contract_market, perp_ticker, sol_perp_market

D = Decimal
S, B = Side.SELL, Side.BUY
OLD = timedelta(seconds=30)
NEWER = timedelta(seconds=5)

CASES = {
    # name: (input, params overrides, state, expected reason, expected intents (side, qty, price, reduce-only),
    #        expected cancelled client ids)
    "build from flat": (
        sol_input("-100"),
        {},
        InstrumentState(),
        ReasonCode.REBALANCE,
        [(S, "100", "150.00", False)],
        [],
    ),
    "gap of 4% is within the 5% band": (
        sol_input("-100", "-96"),
        {},
        InstrumentState(),
        ReasonCode.DRIFT_BELOW_BAND,
        [],
        [],
    ),
    "on target": (sol_input("-100", "-100"), {}, InstrumentState(), ReasonCode.HEDGED_WITHIN_BAND, [], []),
    "gap of 6% leaves the band": (
        sol_input("-100", "-94"),
        {},
        InstrumentState(),
        ReasonCode.REBALANCE,
        [(S, "6", "150.00", False)],
        [],
    ),
    "shrink: reduce-only buy at the bid": (
        sol_input("-50", "-100"),
        {},
        InstrumentState(),
        ReasonCode.REBALANCE,
        [(B, "50", "149.99", True)],
        [],
    ),
    "target 0: unwind reduce-only": (
        sol_input("0", "-100"),
        {},
        InstrumentState(),
        ReasonCode.UNWIND,
        [(B, "100", "149.99", True)],
        [],
    ),
    "in flight covers the gap": (
        sol_input("-100", "-60", orders=(our_order(S, "40", "150.00"),)),
        {},
        InstrumentState(),
        ReasonCode.WAITING_IN_FLIGHT,
        [],
        [],
    ),
    "in flight covers part: only the rest is ordered": (
        sol_input("-100", "0", orders=(our_order(S, "40", "150.00"),)),
        {},
        InstrumentState(),
        ReasonCode.REBALANCE,
        [(S, "60", "150.00", False)],
        [],
    ),
    "resting sell while the short must shrink: cancelled first": (
        sol_input("-100", "-120", orders=(our_order(S, "10", "150.00"),)),
        {},
        InstrumentState(),
        ReasonCode.REBALANCE,
        [],
        ["hbtest1x0"],
    ),
    "two resting sells overshoot: the newer is cancelled": (
        sol_input(
            "-100",
            "-90",
            orders=(
                our_order(S, "8", "150.00", age=NEWER, client_order_id="hbnew"),
                our_order(S, "8", "150.00", age=OLD, client_order_id="hbold"),
            ),
        ),
        {},
        InstrumentState(),
        ReasonCode.REBALANCE,
        [],
        ["hbnew"],
    ),
    "gap worth 75 USDT is below min_notional 100": (
        sol_input("-0.5"),
        {"min_notional": D(100)},
        InstrumentState(),
        ReasonCode.BELOW_MIN_NOTIONAL,
        [],
        [],
    ),
    "unwind remainder worth less than min_notional: still bought back": (
        sol_input("0", "-0.5"),
        {"min_notional": D(100)},
        InstrumentState(),
        ReasonCode.UNWIND,
        [(B, "0.5", "149.99", True)],
        [],
    ),
    "unwind remainder below the market's min notional: reduce-only, so still placed": (
        sol_input("0", "-0.5", market=replace(sol_perp_market(), min_notional=D(100))),  # 0.5 x 149.99 = 75
        {},
        InstrumentState(),
        ReasonCode.UNWIND,
        [(B, "0.5", "149.99", True)],
        [],
    ),
    "growing the short below the market's min notional is dust": (
        sol_input("-100.5", "-100", market=replace(sol_perp_market(), min_notional=D(100))),
        {"band": D(0)},
        InstrumentState(),
        ReasonCode.DUST,
        [],
        [],
    ),
    "unwind remainder below the market's min qty is dust": (
        sol_input("0", "-0.5", market=replace(sol_perp_market(), min_qty=D(1))),
        {},
        InstrumentState(),
        ReasonCode.DUST,
        [],
        [],
    ),
    "target below one lot": (sol_input("-0.05"), {}, InstrumentState(), ReasonCode.DUST, [], []),
    "gap below the market's min qty is dust": (
        sol_input("-100.5", "-100", market=replace(sol_perp_market(), min_qty=D(1))),
        {"band": D(0)},
        InstrumentState(),
        ReasonCode.DUST,
        [],
        [],
    ),
    "hysteresis: 4% gap acted on while rebalancing": (
        sol_input("-100", "-96"),
        {},
        InstrumentState(rebalancing=True),
        ReasonCode.REBALANCE,
        [(S, "4", "150.00", False)],
        [],
    ),
    "hysteresis: 2% gap ends the rebalance": (
        sol_input("-100", "-98"),
        {},
        InstrumentState(rebalancing=True),
        ReasonCode.DRIFT_BELOW_BAND,
        [],
        [],
    ),
    "depth: 25% of 50 visible contracts": (
        sol_input("-100", book_=sol_book(size="10")),
        {},
        InstrumentState(),
        ReasonCode.REBALANCE,
        [(S, "12.5", "150.00", False)],
        [],
    ),
    "depth: our resting sell uses part of the room": (
        sol_input("-100", book_=sol_book(size="10"), orders=(our_order(S, "5", "150.00"),)),
        {},
        InstrumentState(),
        ReasonCode.REBALANCE,
        [(S, "7.5", "150.00", False)],
        [],
    ),
    "depth too thin for one lot": (
        sol_input("-100", book_=sol_book(size="0.05")),
        {},
        InstrumentState(),
        ReasonCode.BLOCKED_BY_LIMIT,
        [],
        [],
    ),
    "slices of at most 2000 USDT": (
        sol_input("-40"),
        {"max_order_notional": D(2000)},
        InstrumentState(),
        ReasonCode.REBALANCE,
        [(S, "10", "150.00", False)] * 4,
        [],
    ),
    "sells behind the touch with passive_offset_ticks": (
        sol_input("-100"),
        {"passive_offset_ticks": 2},
        InstrumentState(),
        ReasonCode.REBALANCE,
        [(S, "100", "150.02", False)],
        [],
    ),
    "a small stray long is closed first, reduce-only": (
        sol_input("-100", "0.5"),
        {},
        InstrumentState(),
        ReasonCode.REBALANCE,
        [(S, "0.5", "150.00", True)],
        [],
    ),
    "resting sells beyond a stray long are cancelled": (
        sol_input("-100", "5", orders=(our_order(S, "20", "150.00"),)),
        {},
        InstrumentState(),
        ReasonCode.REBALANCE,
        [],
        ["hbtest1x0"],
    ),
    "a stray long is only closed, reduce-only": (
        sol_input("-10", "5"),
        {},
        InstrumentState(),
        ReasonCode.REBALANCE,
        [(S, "5", "150.00", True)],
        [],
    ),
    # A resting order beyond what is still needed is kept while all of it filling leaves the position within
    # band x hysteresis (2.5 %) of the target, short of the caps (max_hedge_ratio, flat, the rounding's promise).
    "target one lot smaller: the resting buy is kept": (
        sol_input("-18.4", "-20", orders=(our_order(B, "1.7", "149.99"),)),  # 0.1 beyond; 2.5 % is 0.46
        {},
        InstrumentState(),
        ReasonCode.WAITING_IN_FLIGHT,
        [],
        [],
    ),
    "a resting buy beyond band x hysteresis is cancelled": (
        sol_input("-18.4", "-20", orders=(our_order(B, "2.1", "149.99"),)),  # 0.5 beyond, above 0.46
        {},
        InstrumentState(),
        ReasonCode.REBALANCE,
        [],
        ["hbtest1x0"],
    ),
    "target 0: a resting buy beyond it is cancelled (never flips)": (
        sol_input("0", "-10", orders=(our_order(B, "10.1", "149.99"),)),
        {},
        InstrumentState(),
        ReasonCode.UNWIND,
        [],
        ["hbtest1x0"],
    ),
    "at the target, a small resting buy on either side is kept": (
        sol_input("-100", "-100", orders=(our_order(B, "2", "149.99"),)),  # -98 is 2 % from -100
        {},
        InstrumentState(),
        ReasonCode.WAITING_IN_FLIGHT,
        [],
        [],
    ),
    "nearest: a resting sell beyond a smaller target is kept below max_hedge_ratio": (
        sol_input("-100", "-90", orders=(our_order(S, "12", "150.00"),)),  # -102 of a cap of -150
        {"rounding": Rounding.NEAREST, "max_hedge_ratio": D("1.5")},
        InstrumentState(),
        ReasonCode.WAITING_IN_FLIGHT,
        [],
        [],
    ),
    "nearest: ...but cancelled where it could pass max_hedge_ratio": (
        sol_input("-100", "-90", orders=(our_order(S, "12", "150.00"),)),  # -102 of a cap of -100
        {"rounding": Rounding.NEAREST},
        InstrumentState(),
        ReasonCode.REBALANCE,
        [],
        ["hbtest1x0"],
    ),
    "rounding down: a resting sell beyond the target is cancelled (never over-hedges)": (
        sol_input("-100", "-90", orders=(our_order(S, "12", "150.00"),)),
        {"max_hedge_ratio": D("1.5")},
        InstrumentState(),
        ReasonCode.REBALANCE,
        [],
        ["hbtest1x0"],
    ),
    "rounding up: a resting buy beyond the target is cancelled (never under-hedges)": (
        sol_input("-18.4", "-20", orders=(our_order(B, "1.7", "149.99"),)),
        {"rounding": Rounding.UP},
        InstrumentState(),
        ReasonCode.REBALANCE,
        [],
        ["hbtest1x0"],
    ),
    "cap: rounding up never beyond max_hedge_ratio": (
        sol_input("-99.95", full="-99.95"),
        {"rounding": "up"},
        InstrumentState(),
        ReasonCode.REBALANCE,
        [(S, "99.9", "150.00", False)],
        [],
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_plan_instrument_when_case_then_expected_reason_orders_and_cancels(case: str) -> None:
    inp, overrides, state, reason, intents, cancelled = CASES[case]
    decision, _ = plan_instrument(inp, params(**overrides), state, NOW)
    assert decision.reason is reason
    assert [(i.side, i.amount, i.price, i.reduce_only) for i in decision.intents] == [
        (side, D(qty), D(price), ro) for side, qty, price, ro in intents
    ]
    assert [c.client_order_id for c in decision.cancels] == cancelled
    assert all(i.post_only for i in decision.intents)


def test_plan_instrument_when_seed_mini_contract_above_max_order_notional_then_blocked_by_limit() -> None:
    # One 0.1 BTC contract at 60,000 is worth 6,000: above a 5,000 max order notional, nothing can be placed.
    inp = InstrumentInput(
        "BTC/USDT:USDT",
        target=target("BTC/USDT:USDT", "-1.6667"),
        market=btc_mini_contract_market(),
        book=book("BTC/USDT:USDT", "59999.9", "60000.0", size="10", tick="0.1"),
        ticker=perp_ticker("BTC/USDT:USDT", "60000"),
        position=D(0),
    )
    decision, _ = plan_instrument(inp, params(max_order_notional=D(5000)), InstrumentState(), NOW)
    assert decision.reason is ReasonCode.BLOCKED_BY_LIMIT
    assert decision.target_contracts == D(-1)
    assert "max order notional 5000" in decision.notes[0]
    assert decision.unhedged_notional == D("0.6667") * D("0.1") * D(60000)  # 4,000.20 USDT left unhedged


@pytest.mark.parametrize(
    ("order_price", "filled", "age", "position", "replacement"),
    [
        ("150.10", "0", OLD, "-60", "40"),  # the touch moved 6.7 bps: re-priced for the whole order
        ("150.10", "15", OLD, "-75", "25"),  # partly filled: never re-ordered beyond the remaining 25
        ("150.00", "0", timedelta(minutes=3), "-60", "40"),  # at the touch but older than order_ttl
    ],
)
def test_plan_instrument_when_resting_order_stale_then_cancel_and_replace_remaining_at_touch(
    order_price: str, filled: str, age: timedelta, position: str, replacement: str
) -> None:
    order = our_order(S, "40", order_price, filled=filled, age=age)
    decision, state = plan_instrument(sol_input("-100", position, orders=(order,)), params(), InstrumentState(), NOW)
    assert decision.reason is ReasonCode.REPRICE
    assert [c.client_order_id for c in decision.cancels] == ["hbtest1x0"]
    (intent,) = decision.intents
    assert (intent.side, intent.amount, intent.price, intent.replaces) == (S, D(replacement), D("150.00"), "hbtest1x0")
    assert state.reprices == (NOW,)


def test_plan_instrument_when_reprice_limit_reached_then_order_kept_and_said() -> None:
    order = our_order(S, "40", "150.10")
    recent = tuple(NOW - timedelta(seconds=s) for s in (5, 10, 20, 30, 40, 50))  # 6 in the last minute
    decision, state = plan_instrument(
        sol_input("-100", "-60", orders=(order,)), params(), InstrumentState(reprices=recent), NOW
    )
    assert decision.reason is ReasonCode.WAITING_IN_FLIGHT
    assert decision.intents == ()
    assert "6 re-prices in the last minute" in decision.notes[0]
    assert state.reprices == recent


def test_plan_instrument_when_reprices_older_than_a_minute_then_forgotten() -> None:
    old = (NOW - timedelta(seconds=61),) * 6
    decision, state = plan_instrument(
        sol_input("-100", "-60", orders=(our_order(S, "40", "150.10"),)), params(), InstrumentState(reprices=old), NOW
    )
    assert decision.reason is ReasonCode.REPRICE
    assert state.reprices == (NOW,)


@pytest.mark.parametrize(
    ("inp", "reason"),
    [
        (
            replace(sol_input("-100"), hold=InstrumentHold("SOL/USDT:USDT", ReasonCode.STALE_PRICE, "SOL: 20s old")),
            ReasonCode.STALE_PRICE,
        ),
        (replace(sol_input("-100"), market=None), ReasonCode.NO_PERP_NO_PROXY),
        (
            replace(sol_input("-100"), book=replace(sol_book(), timestamp=NOW - timedelta(seconds=20))),
            ReasonCode.STALE_PRICE,
        ),
        (replace(sol_input("-100"), book=None), ReasonCode.NO_BOOK),
    ],
)
def test_plan_instrument_when_inputs_unusable_then_held_with_reason_and_no_action(
    inp: InstrumentInput, reason: ReasonCode
) -> None:
    decision, state = plan_instrument(inp, params(), InstrumentState(rebalancing=True), NOW)
    assert decision.reason is reason
    assert (decision.intents, decision.cancels) == ((), ())
    assert state == InstrumentState(rebalancing=True)  # nothing learned, nothing forgotten


def test_plan_instrument_when_acting_then_decision_reports_target_current_in_flight_gap() -> None:
    inp = sol_input("-100.07", "-50", full="-200.14", orders=(our_order(S, "10", "150.00"),))
    decision, state = plan_instrument(inp, params(), InstrumentState(), NOW)
    assert decision.target_contracts == D("-100")  # -100.07 toward zero on the 0.1 lot
    assert decision.cap_contracts == D("-200.1")
    assert (decision.current, decision.in_flight, decision.gap) == (D(-50), D(-10), D(-40))
    assert decision.gap_notional == D(6000)  # 40 x 150
    assert decision.unhedged_notional == D("0.07") * D(150)
    assert state.rebalancing is True
