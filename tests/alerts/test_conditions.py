"""Specification of the conditions a running bot alerts on (bot.alerts.conditions), hand-computed from one cycle's
values: liquidation distance, margin ratio and funding cost against their warning levels, limits the gate blocked,
and the venue's rejections in a row within a window."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from bot.alerts.conditions import RejectionCounter, limits_blocked, position_conditions, summary_figures
from bot.alerts.events import AlertKind
from bot.domain import MarginMode, Position
from bot.risk.decision import Denial, DenialCode, RiskDecision
from tests.alerts.factories import levels
from tests.core.test_status import SOL, plan_for, sol_position, sol_report, sol_venue
from tests.factories import NOW, perp_ticker
from tests.risk.factories import sell

D = Decimal


def sol_short(**changes: object) -> Position:
    """60 SOL short, mark 151, liquidation 290 (92% away), isolated margin ratio 90.6 / 14424 (0.6%)."""
    return replace(sol_position(), **changes)


def conditions(position: Position, funding_rate: str = "0.0001") -> dict[AlertKind, dict[str, object]]:
    venue = replace(sol_venue(position), tickers={SOL: perp_ticker(SOL, "151", funding_rate)})
    found = position_conditions(venue, plan_for(venue), levels(), MarginMode.ISOLATED, at=NOW)
    return {e.kind: {f.name: f.value for f in e.fields} for e in found}


@pytest.mark.parametrize(
    ("position", "funding_rate", "expected"),
    [
        pytest.param(sol_short(), "0.0001", {}, id="far from liquidation, margin ample, funding received"),
        pytest.param(
            sol_short(liquidation_price=D(200)),
            "0.0001",
            {AlertKind.LIQUIDATION_DISTANCE_LOW: {"distance": D(49) / D(151)}},  # (200 - 151) / 151 < 0.40
            id="liquidation within 32%",
        ),
        pytest.param(
            sol_short(margin=D(100), unrealized_pnl=D(0)),
            "0.0001",
            {AlertKind.MARGIN_LOW: {"margin ratio": D("0.906")}},  # 90.6 / 100 >= 0.50
            id="maintenance takes 91% of the margin",
        ),
        pytest.param(
            sol_short(),
            "-0.002",
            {AlertKind.FUNDING_COST_HIGH: {"funding cost per day": D("54.36")}},  # 60 x 151 x 0.002 x 3 > 50
            id="funding costs 54.36 a day",
        ),
        pytest.param(sol_short(), "-0.001", {}, id="funding costs 27.18 a day: below the level"),
    ],
)
def test_position_conditions_when_a_level_is_crossed_then_that_condition_with_its_figure(
    position: Position, funding_rate: str, expected: dict[AlertKind, dict[str, object]]
) -> None:
    found = conditions(position, funding_rate)
    assert set(found) == set(expected)
    for kind, figures in expected.items():
        for name, value in figures.items():
            assert found[kind][name] == value


def test_position_conditions_when_the_funding_rate_is_unknown_then_no_cost_is_claimed() -> None:
    venue = replace(sol_venue(sol_short()), tickers={SOL: replace(perp_ticker(SOL, "151"), funding_rate=None)})
    assert position_conditions(venue, plan_for(venue), levels(), MarginMode.ISOLATED, at=NOW) == ()


def test_limits_blocked_when_several_intents_denied_then_one_condition_per_instrument_and_limit() -> None:
    too_big = Denial(DenialCode.MAX_ORDER_NOTIONAL, "6,120 USDT is above risk.max_order_notional = 5000")
    too_fast = Denial(DenialCode.MAX_ORDERS_PER_MINUTE, "20 orders this minute")
    denied = [RiskDecision(sell("10"), (too_big,)), RiskDecision(sell("12"), (too_big, too_fast))]
    found = limits_blocked(denied, at=NOW)
    assert [e.key for e in found] == [
        f"limit_blocked:{SOL}:max_order_notional",
        f"limit_blocked:{SOL}:max_orders_per_minute",
    ]
    assert "risk.max_order_notional = 5000" in found[0].text


def test_rejection_counter_when_rejections_come_in_a_row_then_a_condition_at_the_level_until_one_is_accepted() -> None:
    counter = RejectionCounter(levels())  # 3 in a row within an hour
    for minute in range(2):
        counter.rejected(SOL, "margin", at=NOW + timedelta(minutes=minute))
    assert counter.conditions(at=NOW + timedelta(minutes=2)) == ()
    counter.rejected(SOL, "110007: not enough margin", at=NOW + timedelta(minutes=2))
    (alert,) = counter.conditions(at=NOW + timedelta(minutes=2))
    assert (alert.kind, alert.key) == (AlertKind.ORDERS_REJECTED_REPEATEDLY, f"orders_rejected:{SOL}")
    assert "110007: not enough margin" in alert.text
    counter.accepted(SOL)
    assert counter.conditions(at=NOW + timedelta(minutes=3)) == ()


def test_rejection_counter_when_rejections_are_older_than_the_window_then_forgotten() -> None:
    counter = RejectionCounter(levels())
    for minutes in (0, 50, 70):  # the first is more than an hour before the last
        counter.rejected(SOL, "rejected", at=NOW + timedelta(minutes=minutes))
    assert counter.conditions(at=NOW + timedelta(minutes=70)) == ()
    counter.rejected(SOL, "rejected", at=NOW + timedelta(minutes=71))
    assert len(counter.conditions(at=NOW + timedelta(minutes=71))) == 1
    assert counter.conditions(at=NOW + timedelta(minutes=71 + 61)) == ()  # an hour on: the condition ended


def test_summary_figures_when_built_from_a_status_report_then_its_totals_for_the_period() -> None:
    report = sol_report()
    figures = summary_figures(report, NOW)
    total = report.total
    assert (figures.holdings_value, figures.hedge_notional, figures.hedge_ratio) == (
        total.spot_value,
        total.hedge_notional,
        total.ratio,
    )
    assert (figures.spot_pnl, figures.hedge_pnl, figures.funding, figures.fees) == (
        total.today.spot,
        total.today.hedge,
        total.today.funding,
        total.today.fees,
    )
    assert figures.since == NOW - timedelta(hours=24)
