"""End to end under faults: a lost create response never duplicates an order; the kill switch halts."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.domain import OrderStatus, TradingState
from bot.errors import HaltRequested
from bot.execution.run import RunOptions
from tests.e2e.harness import running_bot

pytestmark = pytest.mark.e2e
D = Decimal


async def test_create_when_response_lost_after_acceptance_then_found_by_client_id_and_never_duplicated(
    tmp_path: Path,
) -> None:
    async with running_bot(
        tmp_path, balances={"USDT": D(40000), "SOL": D(100)}, venue={"timeout_seconds": "0.5"}
    ) as bot:
        bot.sim.fault("lose_response", path="/v5/order/create", times=1, delay=2)
        first = await bot.cycle(wait=timedelta(0))
        assert not bot.sim.faults.active()  # the fault fired: one order creation was accepted, its answer lost
        assert first.unknown == 0  # the lookup by client id answered within the cycle
        venue_orders = list(bot.engine.venue.orders)
        journal_orders = bot.journal.orders(limit=100)
        assert len(venue_orders) == len(journal_orders)  # nothing sent twice
        assert Counter(o.link_id for o in venue_orders).most_common(1)[0][1] == 1
        (lost,) = [o for o in journal_orders if "found by client id" in o.detail]  # the one whose answer was lost
        assert lost.status is OrderStatus.OPEN  # resting at the venue, as the lookup found it
        await bot.cycles(5)
        assert -100 <= bot.position() <= -95  # hedged once, not twice
        assert not bot.journal.unresolved_orders()
        assert [o.link_id for o in bot.engine.venue.orders].count(lost.client_order_id) == 1  # never sent again


async def test_create_when_lost_and_never_reached_venue_then_symbol_frozen_until_resolved(tmp_path: Path) -> None:
    async with running_bot(
        tmp_path, balances={"USDT": D(40000), "SOL": D(100)}, venue={"timeout_seconds": "0.5"}
    ) as bot:
        bot.sim.fault("hang", path="/v5/order/create", times=1, delay=2)  # held and never processed
        outcome = await bot.cycle(wait=timedelta(0))
        assert outcome.unknown == 1
        assert bot.run.executor.frozen  # nothing more is sent on SOL until the outcome is known
        assert outcome.placed == 0
        bot.sim.advance(timedelta(seconds=40))  # past the grace period...
        await bot.cycle()  # ...looked up again, still unknown to the venue: it never reached it
        assert not bot.run.executor.frozen
        await bot.cycles(5)
        assert -100 <= bot.position() <= -95
        events = [o for o in bot.journal.orders(limit=100) if o.status is OrderStatus.REJECTED]
        assert any("not found by client id after the grace period" in o.detail for o in events)


async def test_kill_switch_when_file_appears_then_our_orders_cancelled_and_halted(tmp_path: Path) -> None:
    async with running_bot(tmp_path, balances={"USDT": D(40000), "SOL": D(100)}) as bot:
        await bot.pipeline.run_cycle()  # orders resting, none filled yet (no time passes)
        assert bot.engine.venue.orders.open_orders()
        (tmp_path / "hedgebot.halt").write_text("stop\n")
        outcome = await bot.pipeline.run_cycle()
        assert outcome.state is TradingState.HALTED
        assert not bot.engine.venue.orders.open_orders()
        assert bot.journal.latest_risk_state().trading is TradingState.HALTED
        cancels = [o for o in bot.journal.orders(limit=100) if o.status is OrderStatus.CANCELED]
        assert cancels
        with pytest.raises(HaltRequested):
            await bot.run_cycles(RunOptions(cycles=3))


async def test_halted_state_when_restarted_then_stays_halted_until_resume(tmp_path: Path) -> None:
    async with running_bot(tmp_path, balances={"USDT": D(40000), "SOL": D(100)}) as bot:
        (tmp_path / "hedgebot.halt").write_text("stop\n")
        await bot.pipeline.run_cycle()
        (tmp_path / "hedgebot.halt").unlink()
        await bot.restart("e2ets2").start(RunOptions())  # a restart reads the journal's state
        assert bot.run.risk_state.trading is TradingState.HALTED
        outcome = await bot.pipeline.run_cycle()
        assert outcome.state is TradingState.HALTED
        assert outcome.intents == 0  # nothing is even planned while halted
        await bot.restart("e2ets3").start(RunOptions(resume=True))
        assert bot.run.risk_state.trading is TradingState.ACTIVE
        assert bot.journal.latest_risk_state().trading is TradingState.ACTIVE  # the operator's resume is journaled
