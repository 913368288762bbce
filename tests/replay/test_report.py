"""Specification of the hedge-effectiveness report: hand-computed recordings, figure by figure."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.domain import Side
from bot.replay.plot import costs_title
from bot.replay.record import InstrumentStep, OrderCounts, Recording, Step, Trade
from bot.replay.report import Episode, build_report, hedge_effectiveness, max_drawdown, tracking_error

D = Decimal
T0 = datetime(2022, 6, 13, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
SOL = "SOL/USDT:USDT"


def sol_short(contracts: str, target: str, mark: str = "10", liquidation: str | None = None) -> InstrumentStep:
    return InstrumentStep(SOL, D(contracts), D(target), D(mark), liquidation=D(liquidation) if liquidation else None)


def step(
    minute: int,
    spot: str,
    perp_pnl: str = "0",
    *instruments: InstrumentStep,
    fees: str = "0",
    funding: str = "0",
) -> Step:
    return Step(T0 + minute * MINUTE, D(spot), D(perp_pnl), D(fees), D(funding), tuple(instruments))


def fill(side: Side, amount: str, price: str, mid: str | None, maker: bool) -> Trade:
    return Trade(T0, SOL, side, D(amount), D(price), D(0), maker, D(mid) if mid else None)


def crash_and_rebound() -> Recording:
    """Spot 100 -> 110 -> 99; the hedge loses 5 then 0.75 net: hedged 100 -> 105 -> 99.75 (hand-computable)."""
    return Recording(
        steps=(
            step(0, "100", "0", sol_short("0", "-5")),
            step(1, "110", "-5", sol_short("-5", "-5", liquidation="15")),
            step(2, "99", "0.95", sol_short("-5", "-6", liquidation="12"), fees="0.3", funding="0.1"),
        ),
        trades=(fill(Side.SELL, "5", "10.1", "10.0", True), fill(Side.BUY, "1", "10.2", "10.0", False)),
        counts=OrderCounts(orders=4, cancels=2, post_only_rejections=1, reprices=1),
        band=D("0.05"),
        step=MINUTE,
    )


def test_report_when_crash_and_rebound_then_every_figure_as_computed_by_hand() -> None:
    report = build_report(crash_and_rebound())
    # returns: unhedged +10 %, -10 % (variance 0.01); hedged +5 %, -5 % (variance 0.0025): 1 - 0.25
    assert report.hedge_effectiveness == D("0.75")
    assert (report.max_drawdown_unhedged, report.max_drawdown_hedged) == (D("0.1"), D("0.05"))  # 11/110, 5.25/105
    assert (report.unhedged_end, report.hedged_end) == (D(99), D("99.75"))  # 99 + 0.95 + 0.1 - 0.3
    # minute 0: |0 - 50| / 100 = 0.5; minute 1: 0; the last step weighs nothing: (0.5 + 0) / 2
    assert report.tracking_error == D("0.25")
    # out of band at minutes 0 (building) and 2 (a gap of 1 beyond 0.05 x 6, never re-entered)
    assert report.time_out_of_band == MINUTE
    assert report.time_to_hedge == MINUTE
    assert report.shocks == (Episode(T0 + 2 * MINUTE, None),)
    assert (report.fees, report.funding) == (D("0.3"), D("0.1"))
    assert report.slippage == D("-0.3")  # the sell 0.1 above the mid on 5: -0.5; the buy 0.2 above on 1: +0.2
    assert report.maker_share == D("50.5") / D("60.7")
    assert report.cost == D("-0.1")  # 0.3 fees - 0.3 slippage - 0.1 funding
    assert report.worst is not None
    assert (report.worst.at, report.worst.value, report.worst.unhedged) == (T0 + 2 * MINUTE, D("-0.25"), D(-1))
    assert report.min_liquidation_distance is not None
    assert (report.min_liquidation_distance.value, report.min_liquidation_distance.at) == (D("0.2"), T0 + 2 * MINUTE)
    assert (report.orders, report.cancels, report.post_only_rejections, report.reprices, report.fills) == (
        4,
        2,
        1,
        1,
        2,
    )


def test_report_when_turned_to_json_then_the_acceptance_fields_are_there_rounded() -> None:
    data = build_report(crash_and_rebound()).to_dict()
    required = {
        "hedge_effectiveness", "tracking_error", "max_drawdown_hedged", "max_drawdown_unhedged", "fees", "funding",
        "slippage", "maker_share", "orders", "time_out_of_band",
    }  # fmt: skip
    assert required <= data.keys()
    assert (data["hedge_effectiveness"], data["slippage"], data["time_out_of_band"]) == ("0.7500", "-0.30", 60.0)
    assert data["shocks"] == [{"start": "2022-06-13T00:02:00+00:00", "reentered_after": None}]


@pytest.mark.parametrize(
    ("values", "drawdown"),
    [
        (["100", "110", "121"], "0"),  # only up
        (["100", "50", "200", "150"], "0.5"),  # the deepest fall, not the last one
        (["100", "80", "90", "60"], "0.4"),  # from the same peak
        (["100"], "0"),
    ],
)
def test_max_drawdown_when_values_move_then_the_largest_fall_from_a_peak(values: list[str], drawdown: str) -> None:
    assert max_drawdown([D(v) for v in values]) == D(drawdown)


def test_hedge_effectiveness_when_unhedged_value_never_moved_then_none() -> None:
    assert hedge_effectiveness([D(100)] * 3, [D(100), D(101), D(100)]) is None


def test_hedge_effectiveness_when_hedge_doubles_the_moves_then_negative() -> None:
    assert hedge_effectiveness([D(100), D(110), D(99)], [D(100), D(120), D(96)]) == D(-3)  # var 0.04 / 0.01


def test_tracking_error_when_steps_are_uneven_then_weighted_by_time() -> None:
    steps = [
        step(0, "100", "0", sol_short("0", "-1")),  # 10 / 100 for 1 minute
        step(1, "100", "0", sol_short("-1", "-1")),  # 0 for 3 minutes
        step(4, "100", "0", sol_short("-1", "-3")),  # the last step weighs nothing
    ]
    assert tracking_error(steps) == D("0.025")


def test_report_when_hedge_reenters_the_band_after_a_shock_then_its_time_to_reenter() -> None:
    recording = Recording(
        steps=(
            step(0, "100", "0", sol_short("-5", "-5")),
            step(1, "100", "0", sol_short("-5", "-7")),  # a shock: out of band
            step(2, "100", "0", sol_short("-6", "-7")),
            step(5, "100", "0", sol_short("-7", "-7")),  # back in band 4 minutes after it left
        ),
        step=MINUTE,
    )
    report = build_report(recording)
    assert report.time_to_hedge == timedelta(0)
    assert report.shocks == (Episode(T0 + MINUTE, 4 * MINUTE),)
    assert report.time_out_of_band == 4 * MINUTE


def test_report_when_no_steps_then_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        build_report(Recording(steps=()))


@pytest.mark.parametrize(
    ("fees", "funding", "slippage", "words"),
    [
        ("10.15", "-61.08", "-0.16", "fees 10.15 paid, funding 61.08 paid, slippage 0.16 better than the decision mid"),
        (
            "-0.50",
            "0.31",
            "1.20",
            "fees 0.50 rebated, funding 0.31 received, slippage 1.20 worse than the decision mid",
        ),
        ("0", "0.001", "0", "fees 0.00, funding 0.00, slippage 0.00"),
    ],
    ids=["funding paid", "funding received", "nothing"],
)
def test_costs_title_when_signed_figures_then_each_in_words_its_sign_means(
    fees: str, funding: str, slippage: str, words: str
) -> None:
    report = replace(build_report(crash_and_rebound()), fees=D(fees), funding=D(funding), slippage=D(slippage))
    assert costs_title(report) == f"cumulative costs (USDT): {words}"


def test_report_json_when_written_then_it_says_what_each_sign_means() -> None:
    signs = build_report(crash_and_rebound()).to_dict()["signs"]
    assert signs["funding"] == "+ received by the hedge, - paid by it"
    assert {"fees", "funding", "slippage", "cost"} <= signs.keys()
