"""End to end: unwinding buys the hedge back to flat with reduce-only, post-only orders."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path

import pytest

from bot.core.unwind import plan_unwind
from bot.domain import Side
from bot.execution.loop import LoopOptions
from bot.sim.orders import ExecType
from tests.e2e.harness import running_bot

pytestmark = pytest.mark.e2e
D = Decimal


async def test_unwind_when_hedged_then_position_reaches_zero_with_reduce_only_post_only_buys(tmp_path: Path) -> None:
    async with running_bot(tmp_path, balances={"USDT": D(40000), "SOL": D(100)}) as bot:
        await bot.cycles(4)
        assert bot.position() <= -95
        hedged = {o.client_order_id for o in bot.journal.orders(limit=1000)}
        await bot.restart("unwnd1", planner=partial(plan_unwind, symbols=None)).start(LoopOptions())
        for _ in range(10):
            outcome = await bot.cycle(wait=timedelta(minutes=1))
            if bot.position() == 0 and not bot.engine.venue.orders.open_orders():
                break
        assert bot.position() == 0
        buys = [o for o in bot.journal.orders(limit=1000) if o.client_order_id not in hedged]
        assert buys
        assert all(o.side is Side.BUY and o.reduce_only and o.post_only for o in buys)
        trades = [e for e in bot.engine.executions if e.exec_type is ExecType.TRADE]
        assert all(e.is_maker for e in trades)
        assert outcome.instruments[0]["target"] == 0


async def test_unwind_when_one_symbol_chosen_then_others_untouched(tmp_path: Path) -> None:
    async with running_bot(
        tmp_path,
        balances={"USDT": D(100000), "SOL": D(100), "ETH": D(3)},
        hedges={"ETH": {"instrument": "ETH/USDT:USDT"}},
    ) as bot:
        await bot.cycles(5)
        eth = bot.position("ETHUSDT")
        assert eth <= D("-2.85")
        await bot.restart("unwnd2", planner=partial(plan_unwind, symbols=["SOL/USDT:USDT"])).start(LoopOptions())
        for _ in range(10):
            await bot.cycle(wait=timedelta(minutes=1))
            if bot.position() == 0:
                break
        assert bot.position() == 0
        assert bot.position("ETHUSDT") == eth
