"""End to end: the real bot loop and ccxt client against the simulator, on real 10 Oct 2025 market data."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.domain import OrderStatus, Side
from hedgesim.orders import ExecType
from tests.e2e.harness import SOL, running_bot

pytestmark = pytest.mark.e2e
D = Decimal


async def test_run_when_flat_with_100_sol_at_ratio_1_then_short_within_band_all_maker_at_most_2x(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, balances={"USDT": D(40000), "SOL": D(100)}) as bot:
        outcomes = await bot.cycles(6)
        position = bot.position()
        assert -100 <= position <= D(-95)  # within the 5 % band, never over-hedged (rounding down)
        assert outcomes[-1].instruments[0].reason == "hedged_within_band"
        trades = [e for e in bot.engine.executions if e.exec_type is ExecType.TRADE]
        assert trades
        assert all(e.is_maker for e in trades)  # every fill a maker fill
        assert all(f.fill.maker for f in bot.journal.fills(limit=1000))  # and the journal recorded them so
        assert bot.leverage() <= 2
        orders = bot.journal.orders(limit=1000)
        venue_ids = {o.link_id for o in bot.engine.venue.orders}
        assert {o.client_order_id for o in orders} == venue_ids  # the journal explains every order at the venue
        assert all(o.post_only and o.side is Side.SELL and not o.reduce_only for o in orders)
        explained = {p.symbol: p.contracts for p in bot.journal.explained_positions()}
        assert explained[SOL] == position


async def test_run_when_spot_added_and_removed_then_hedge_follows_and_reductions_are_reduce_only(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, balances={"USDT": D(60000), "SOL": D(100)}) as bot:
        await bot.cycles(4)
        assert -100 <= bot.position() <= -95
        bot.engine.deposit("SOL", D(50))
        await bot.cycles(4)
        assert -150 <= bot.position() <= D("-142.5")
        bot.engine.withdraw("SOL", D(90))
        await bot.cycles(5, wait=timedelta(minutes=2))
        assert -60 <= bot.position() <= -57
        buys = [o for o in bot.journal.orders(limit=1000) if o.side is Side.BUY]
        assert buys
        assert all(o.reduce_only and o.post_only for o in buys)
        filled = [o for o in buys if o.status is OrderStatus.FILLED]
        assert filled
