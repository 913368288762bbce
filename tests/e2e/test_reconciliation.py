"""End to end: reconciliation refuses to trade on a position the journal cannot explain, unless told to adopt."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.domain import TradingState
from bot.errors import HaltRequested, ReconciliationError
from bot.execution.run import RunOptions
from hedgesim import SimExchange
from hedgesim.enums import MarginMode
from hedgesim.instruments import Category
from tests.e2e.harness import running_bot

pytestmark = pytest.mark.e2e
D = Decimal


def open_by_hand(engine: SimExchange, qty: str) -> None:
    """A short opened in the web app before the bot's first run, in the margin mode the bot is configured for."""
    engine.set_margin_mode(MarginMode.ISOLATED)
    engine.set_leverage("SOLUSDT", D(1))
    engine.trade(Category.LINEAR, "SOLUSDT", "Sell", D(qty))


async def test_start_when_a_position_exists_that_the_journal_never_saw_then_refused(tmp_path: Path) -> None:
    async with running_bot(tmp_path, balances={"USDT": D(40000), "SOL": D(100)}, start_loop=False) as bot:
        open_by_hand(bot.engine, "30")
        bot.sim.advance(timedelta(minutes=1))
        with pytest.raises(ReconciliationError, match="the venue holds -30"):
            await bot.start(RunOptions())
        assert not list(bot.engine.venue.orders.open_orders())  # nothing was sent


async def test_start_when_adopting_an_unexplained_position_then_baseline_recorded_and_hedge_completed(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, balances={"USDT": D(40000), "SOL": D(100)}, start_loop=False) as bot:
        open_by_hand(bot.engine, "30")
        bot.sim.advance(timedelta(minutes=1))
        report = await bot.start(RunOptions(adopt=True))
        assert [d.venue_contracts for d in report.adopted_positions] == [D(-30)]
        await bot.cycles(5)
        assert -100 <= bot.position() <= -95  # 70 more, not 100 more
        (explained,) = bot.journal.explained_positions()
        assert explained.contracts == bot.position()


async def test_periodic_reconciliation_when_someone_trades_the_hedge_then_halted_and_our_orders_cancelled(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, balances={"USDT": D(40000), "SOL": D(100)}) as bot:
        await bot.cycles(4)
        bot.engine.trade(Category.LINEAR, "SOLUSDT", "Buy", D(20))  # someone closes part of the hedge by hand
        bot.sim.advance(timedelta(seconds=5))
        with pytest.raises(HaltRequested, match="reconciliation failed"):
            await bot.pipeline.run_cycle(reconcile_now=True)
        assert bot.run.risk_state.trading is TradingState.HALTED
        assert not list(bot.engine.venue.orders.open_orders())
