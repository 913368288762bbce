"""Specification of the portfolio-wide limits: a desk's gate adds the other venues' hedges, and an other venue whose
hedge cannot be known blocks growth (never counted as zero) while reductions always pass.

Every row starts from the baseline of tests/risk/factories.py (SOL: 60 short at a mark of 150, i.e. 9,000 USDT here;
risk.max_total_hedge_notional = 50,000, risk.max_daily_turnover = 100,000) and names only what the other venues hold.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from bot.domain import OrderIntent
from bot.risk import DenialCode, RiskContext, RiskHistory, decide
from bot.risk.portfolio import ExposureSource, VenueExposure, journal_exposure
from tests.risk.factories import buy_back, default_limits, sell, sol_context

D = Decimal
C = DenialCode


def venue_b(notional: str | None, resting: str = "0") -> VenueExposure:
    """The other venue's desk: its live figure, or (None) a hedge no one can value."""
    if notional is None:
        return VenueExposure("b", None, D(0), ExposureSource.UNKNOWN, "its desk ended (refused)")
    return VenueExposure.live("b", notional=D(notional), resting=D(resting))


def venue_c(notional: str) -> VenueExposure:
    return VenueExposure("c", D(notional), D(0), ExposureSource.JOURNAL, "its venue cannot be read")


def with_others(*others: VenueExposure, history: RiskHistory | None = None) -> RiskContext:
    return replace(sol_context(history=history), elsewhere=others)


@pytest.mark.parametrize(
    ("intent", "context", "codes", "value", "words"),
    [
        pytest.param(sell("10"), with_others(), set(), None, "", id="one venue: 10,500"),
        pytest.param(sell("10"), with_others(venue_b("39500")), set(), None, "", id="10,500 + 39,500 = the limit"),
        pytest.param(
            sell("10"),
            with_others(venue_b("39501")),
            {C.MAX_TOTAL_HEDGE_NOTIONAL},
            "50001",
            "10,500.00 here, 39,501.00 on b",
            id="10,500 + 39,501: blocked",
        ),
        pytest.param(
            sell("10"),
            with_others(venue_b("20000"), venue_c("19501")),
            {C.MAX_TOTAL_HEDGE_NOTIONAL},
            "50001",
            "19,501.00 on c, from the journal: its venue cannot be read",
            id="two other venues add up: blocked",
        ),
        pytest.param(
            sell("1"),
            with_others(venue_b(None)),
            {C.MAX_TOTAL_HEDGE_NOTIONAL},
            None,
            "unknown on b (its desk ended (refused))",
            id="an unknown venue blocks growth",
        ),
        pytest.param(buy_back("10"), with_others(venue_b(None)), set(), None, "", id="an unknown venue: reducing"),
        pytest.param(buy_back("10"), with_others(venue_b("90000")), set(), None, "", id="above the limit: reducing"),
        pytest.param(
            sell("10"),
            with_others(venue_b("0", resting="1001"), history=RiskHistory(turnover_today=D(97500))),
            {C.MAX_DAILY_TURNOVER},
            "100001",
            "our resting orders on every venue",
            id="turnover: 97,500 filled + 1,001 resting on b + 1,500",
        ),
        pytest.param(
            sell("10"),
            with_others(venue_b("0", resting="1000"), history=RiskHistory(turnover_today=D(97500))),
            set(),
            None,
            "",
            id="turnover: 97,500 filled + 1,000 resting on b + 1,500 = the limit",
        ),
    ],
)
def test_gate_when_other_venues_hold_hedges_then_portfolio_limits_count_them(
    intent: OrderIntent, context: RiskContext, codes: set[C], value: str | None, words: str
) -> None:
    decision = decide(intent, context, default_limits())
    assert {d.code for d in decision.denials} == codes, decision.summary
    for denial in decision.denials:
        assert words in denial.message
        assert value is None or denial.value == D(value)
        assert value is not None or denial.code is not C.MAX_TOTAL_HEDGE_NOTIONAL or denial.value is None


@pytest.mark.parametrize(
    ("positions", "prices", "notional", "source"),
    [
        pytest.param({}, {}, "0", ExposureSource.JOURNAL, id="nothing explained: nothing held"),
        pytest.param({"SOL": D("-60")}, {"SOL": D("150")}, "9000", ExposureSource.JOURNAL, id="a short at its price"),
        pytest.param(
            {"SOL": D("-60"), "ETH": D("-2")},
            {"SOL": D("150"), "ETH": D("3000")},
            "15000",
            ExposureSource.JOURNAL,
            id="instruments add up",
        ),
        pytest.param({"SOL": D("0")}, {}, "0", ExposureSource.JOURNAL, id="flat needs no price"),
        pytest.param({"SOL": D("-60")}, {}, None, ExposureSource.UNKNOWN, id="a position without a price: unknown"),
    ],
)
def test_journal_exposure_when_the_desk_has_no_live_view_then_the_journal_values_it_or_says_unknown(
    positions: dict[str, Decimal], prices: dict[str, Decimal], notional: str | None, source: ExposureSource
) -> None:
    exposure = journal_exposure("b", positions, prices, why="its desk has not read it yet")
    assert exposure.notional == (D(notional) if notional is not None else None)
    assert exposure.source is source
    assert "its desk has not read it yet" in exposure.note
