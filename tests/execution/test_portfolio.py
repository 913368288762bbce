"""Specification of the desks' shared portfolio: each desk counts the other venues' live figures, else the journal's
account of them (baseline plus our fills, at our last fill's price), else unknown; a desk that stops being read
falls back to the journal again."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from bot.domain import Side
from bot.execution.portfolio import NOT_READ_YET, Portfolio
from bot.risk import RiskDecision
from bot.risk.portfolio import ExposureSource
from tests.factories import NOW, sol_perp_market
from tests.journal.factories import new_journal, sol_fill
from tests.risk.factories import SOL, sell, sol_context

D = Decimal


def test_portfolio_when_a_desk_has_no_live_figure_then_the_journal_values_its_venue_at_our_last_fill(
    tmp_path: Path,
) -> None:
    journal, _, _ = new_journal(tmp_path)
    journal.record_position_baseline("b", SOL, D("-20"), as_of=NOW - timedelta(hours=2), reason="first", run_id=None)
    fills = [
        sol_fill("t1", Side.SELL, "30", "140", NOW - timedelta(hours=1)),
        sol_fill("t2", Side.SELL, "10", "160", NOW),
    ]
    journal.record_fills("b", fills, {SOL: sol_perp_market()})
    portfolio = Portfolio(["a", "b"])

    (b,) = portfolio.others("a", journal)
    assert (b.venue, b.notional, b.source) == ("b", D("60") * D("160"), ExposureSource.JOURNAL)  # 20 + 30 + 10
    assert b.note == NOT_READ_YET

    portfolio.publish("b", sol_context(), [RiskDecision(sell("10"), ())])  # 60 + 10 approved, at 150
    assert portfolio.others("a", journal)[0].notional == D("10500")
    assert portfolio.others("b", journal)[0].notional == D(0)  # a: nothing in the journal

    portfolio.withdraw("b", "its venue cannot be read")
    (b,) = portfolio.others("a", journal)
    assert (b.notional, b.source, b.note) == (D("9600"), ExposureSource.JOURNAL, "its venue cannot be read")


def test_portfolio_when_the_journal_explains_a_position_it_has_no_price_for_then_unknown(tmp_path: Path) -> None:
    journal, _, _ = new_journal(tmp_path)
    journal.record_position_baseline("b", SOL, D("-20"), as_of=NOW, reason="adopted", run_id=None)
    (b,) = Portfolio(["a", "b"]).others("a", journal)
    assert b.notional is None
    assert b.source is ExposureSource.UNKNOWN
    assert "the journal explains -20 contracts of SOL/USDT:USDT there but knows no price" in b.note
