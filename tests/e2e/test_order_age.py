"""End to end on the simulator's manual clock: resting orders of ours older than execution.max_order_age are
cancelled after a cycle whose planner held them (stale data) and at start-up; younger ones and foreign ones stay."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.domain import OrderStatus
from bot.execution.run import RunOptions
from hedgesim.enums import Side
from hedgesim.instruments import Category
from hedgesim.orders import NewOrder, OrderType
from tests.e2e.harness import Harness, running_bot

pytestmark = pytest.mark.e2e
D = Decimal
SETTINGS = {"passive_offset_ticks": 30, "max_order_age": "5m"}  # sells rest 30 ticks above the ask


def resting(bot: Harness) -> list[str]:
    return sorted(o.link_id or "" for o in bot.engine.venue.orders.open_orders())


def sell(link_id: str, price: str = "400") -> NewOrder:
    return NewOrder(Category.LINEAR, "SOLUSDT", Side.SELL, OrderType.LIMIT, D(1), D(price), link_id=link_id)


async def test_cycle_when_the_planner_holds_orders_on_stale_data_past_the_max_age_then_they_are_cancelled(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, balances={"USDT": D(60000), "SOL": D(100)}, execution=SETTINGS) as bot:
        await bot.cycle(timedelta(seconds=10))
        bot.engine.place_order(sell("manual1"))
        ours = [cid for cid in resting(bot) if cid.startswith("hb")]
        assert ours
        bot.engine.freeze("SOL")  # stale prices: the planner holds, so order_ttl never re-prices them
        outcomes = await bot.cycles(4, wait=timedelta(minutes=1))
        assert outcomes[-1].reasons["SOL"] == "stale_price"
        assert [cid for cid in resting(bot) if cid.startswith("hb")] == ours  # 4m10s old: kept
        await bot.cycles(1, wait=timedelta(minutes=1))  # 5m10s old now: cancelled after this cycle
        await bot.cycle()
        assert resting(bot) == ["manual1"]
        for cid in ours:
            order = bot.journal.order(cid)
            assert order is not None
            assert order.status is OrderStatus.CANCELED
            assert order.detail == "after cancel (stale_order)"


async def test_start_when_orders_of_ours_rest_from_before_then_the_stale_are_swept_and_the_young_adopted(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, balances={"USDT": D(60000), "SOL": D(100)}, execution=SETTINGS) as bot:
        await bot.cycle(timedelta(minutes=6))  # the bot goes away for six minutes, its orders resting
        old = [cid for cid in resting(bot) if cid.startswith("hb")]
        assert old
        bot.engine.place_order(sell("hbyoung1x0", "300"))  # placed by a run the journal never heard of, just now
        bot.engine.place_order(sell("manual1"))
        await bot.restart("again1").start(RunOptions())
        assert resting(bot) == ["hbyoung1x0", "manual1"]
        young = bot.journal.order("hbyoung1x0")
        assert young is not None
        assert young.status is OrderStatus.OPEN  # adopted
