"""Specification of the approval's what-if, hand-computed from the risk gate's baseline (tests/risk/factories.py).

Baseline: 100 contracts hedge the holdings fully; -60 @ 150, mark 150; 20,000 USDT collateral, isolated, 1x;
SOL maintenance 1 %; funding 0.01 % every 8 h (3 a day); the account's fees at Bybit's base tier, maker 0.02 %,
taker 0.055 %.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from bot.domain import MarginMode, OrderIntent, Side
from bot.risk.context import RiskContext
from bot.risk.whatif import what_if
from tests.risk.factories import SOL, base_tier_fees, buy_back, resting, sell, sol_context

D = Decimal


def baseline(**changes: object) -> RiskContext:
    return sol_context(**changes)  # type: ignore[arg-type]


# (intents, context, ratio now, ratio after, net exposure now, after, margin after, liquidation after,
#  funding per day after, fee maker, fee taker)
CASES = [
    pytest.param(
        [sell("10"), sell("10")],
        baseline(),
        # short 60 -> 80 of 100; uncovered 40 x 150 -> 20 x 150; margin 80 x 150 / 1x;
        # isolated liquidation: entry 150 x (1 + 1/1) / 1.01; funding 80 x 150 x 0.0001 x 3 received;
        # fees on 20 x 150 = 3,000: x 0.0002 and x 0.00055
        "0.6",
        "0.8",
        "6000",
        "3000",
        "12000",
        D(300) / D("1.01"),
        "3.6",
        "0.6",
        "1.65",
        id="two sell slices grow the short from 0.6 to 0.8",
    ),
    pytest.param(
        [sell("10")],
        baseline(our_orders=[resting(Side.SELL, "5", "152")]),
        # a resting sell of 5 counts after: 60 + 5 + 10 = 75; cost 9,000 + 760 + 1,500 = 11,260 over 75;
        # the fee is the plan's order's only (1,500)
        "0.6",
        "0.75",
        "6000",
        "3750",
        "11250",
        D(11260) / 75 * 2 / D("1.01"),
        "3.375",
        "0.3",
        "0.825",
        id="our resting sell counts after, not in the fee",
    ),
    pytest.param(
        [buy_back("20")],
        baseline(),
        # the short lands at 40 (0.4) once the buy fills; until then the worst case stays -60 (margin 9,000) and
        # the isolated liquidation stays where it is (entry 150); funding on 40: 1.8
        "0.6",
        "0.4",
        "6000",
        "9000",
        "9000",
        D(300) / D("1.01"),
        "1.8",
        "0.6",
        "1.65",
        id="a buy-back lowers the ratio; margin and liquidation stay the worst case",
    ),
    pytest.param(
        [sell("10")],
        baseline(margin_mode=MarginMode.CROSS),
        # cross: (collateral 20,000 + cost at mark 70 x 150) / (70 x 1.01)
        "0.6",
        "0.7",
        "6000",
        "4500",
        "10500",
        D(30500) / (70 * D("1.01")),
        "3.15",
        "0.3",
        "0.825",
        id="cross margin: the liquidation is backed by the whole collateral",
    ),
]


@pytest.mark.parametrize(
    ("intents", "context", "now", "after", "exposure_now", "exposure_after", "margin", "liquidation", "funding",
     "maker", "taker"),
    CASES,
)  # fmt: skip
def test_what_if_when_the_plan_is_sent_then_each_figure_is_the_hand_computed_one(
    intents: list[OrderIntent],
    context: RiskContext,
    now: str,
    after: str,
    exposure_now: str,
    exposure_after: str,
    margin: str,
    liquidation: Decimal,
    funding: str,
    maker: str,
    taker: str,
) -> None:
    result = what_if(intents, context, base_tier_fees())
    (row,) = result.instruments
    assert (row.symbol, row.orders) == (SOL, len(intents))
    assert (row.ratio_now, row.ratio_after) == (D(now), D(after))
    assert (row.net_exposure_now, row.net_exposure_after) == (D(exposure_now), D(exposure_after))
    assert row.margin_after == D(margin)
    assert row.liquidation_after == pytest.approx(liquidation, rel=D("1e-12"))
    assert row.liquidation_distance_after == pytest.approx((liquidation - 150) / 150, rel=D("1e-12"))
    assert row.funding_per_day_after == D(funding)
    assert (row.fee_maker, row.fee_taker) == (D(maker), D(taker))
    # one instrument: the totals are its figures; the account leverage is the margin at 1x over 20,000
    assert (result.ratio_now, result.ratio_after) == (D(now), D(after))
    assert (result.net_exposure_now, result.net_exposure_after) == (D(exposure_now), D(exposure_after))
    assert result.margin_after == D(margin)
    assert result.leverage_after == D(margin) / 20000
    assert result.nearest_liquidation_distance_after == row.liquidation_distance_after
    assert (result.funding_per_day_after, result.fee_maker, result.fee_taker) == (D(funding), D(maker), D(taker))


def test_what_if_when_the_fee_or_funding_rate_is_not_known_then_those_figures_are_unknown_not_zero() -> None:
    context = sol_context()
    context = replace(context, tickers={SOL: replace(context.tickers[SOL], funding_rate=None)})
    result = what_if([sell("10")], context, {})  # the venue did not say the account's fee rates
    (row,) = result.instruments
    assert (row.fee_maker, row.fee_taker, row.funding_per_day_after) == (None, None, None)
    assert (result.fee_maker, result.fee_taker, result.funding_per_day_after) == (None, None, None)
    assert row.ratio_after == D("0.7")  # what is known is still shown


def test_what_if_when_the_position_entry_is_unknown_then_the_liquidation_is_unknown_and_said_so() -> None:
    context = baseline()
    context = replace(context, positions={SOL: replace(context.positions[SOL], entry_price=None)})
    (row,) = what_if([sell("10")], context, base_tier_fees()).instruments
    assert (row.liquidation_after, row.liquidation_known) == (None, False)
