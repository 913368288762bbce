"""End to end: unwinding buys the hedge back to flat with reduce-only, post-only orders."""

from __future__ import annotations

import asyncio
import signal
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path

import pytest

from bot.core.unwind import plan_unwind
from bot.domain import Side, TradingState
from bot.execution.run import RunOptions
from bot.journal import open_reader
from bot.risk.state import Trigger
from hedgesim import SimConfig, SimExchange, running_sim
from hedgesim.enums import MarginMode
from hedgesim.instruments import Category
from hedgesim.orders import ExecType
from tests.e2e.crash_rig import start_bot, write_config
from tests.e2e.harness import running_bot
from tests.support.bot_process import hedgebot, log_tail, reap, wait_until

pytestmark = pytest.mark.e2e
D = Decimal


async def test_unwind_when_hedged_then_position_reaches_zero_with_reduce_only_post_only_buys(tmp_path: Path) -> None:
    async with running_bot(tmp_path, balances={"USDT": D(40000), "SOL": D(100)}) as bot:
        await bot.cycles(4)
        assert bot.position() <= -95
        hedged = {o.client_order_id for o in bot.journal.orders(limit=1000)}
        await bot.restart("unwnd1", planner=partial(plan_unwind, symbols=None)).start(RunOptions())
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
        assert outcome.instruments[0].target == 0
        assert bot.journal.last_reasons() == {"SOL": "unwind"}  # what status shows: not its last run's reason


async def test_unwind_when_one_symbol_chosen_then_others_untouched(tmp_path: Path) -> None:
    async with running_bot(
        tmp_path,
        balances={"USDT": D(100000), "SOL": D(100), "ETH": D(3)},
        hedges={"ETH": {"instrument": "ETH/USDT:USDT"}},
    ) as bot:
        await bot.cycles(5)
        eth = bot.position("ETHUSDT")
        assert eth <= D("-2.85")
        await bot.restart("unwnd2", planner=partial(plan_unwind, symbols=["SOL/USDT:USDT"])).start(RunOptions())
        for _ in range(10):
            await bot.cycle(wait=timedelta(minutes=1))
            if bot.position() == 0:
                break
        assert bot.position() == 0
        assert bot.position("ETHUSDT") == eth


def venue_position(engine: SimExchange, symbol: str = "SOLUSDT") -> Decimal:
    view = engine.position(symbol).position
    return view.size if view is not None else D(0)


@pytest.mark.slow
async def test_unwind_cli_when_halted_by_the_kill_switch_then_refuses_naming_the_halt_until_resumed_then_flattens(
    tmp_path: Path,
) -> None:
    engine = SimExchange.realtime(SimConfig(balances={"USDT": D(60000), "SOL": D(100)}, rate_limits=False, speed=300))
    async with running_sim(engine=engine) as sim:
        config = str(write_config(tmp_path, sim.url))
        log, kill_switch = tmp_path / "bot.log", tmp_path / "hedgebot.halt"
        bot = await start_bot(Path(config), 1000, log)  # hedges until a sell fills (the market must rise to it)
        try:
            shorted = await wait_until(lambda: venue_position(engine) < 0, seconds=60)
            bot.send_signal(signal.SIGTERM)  # stops: our resting sells are cancelled, the short is kept
            code = await asyncio.wait_for(bot.wait(), timeout=20)
        finally:
            await reap(bot)
        assert shorted, log_tail(log)
        assert code == 0, log_tail(log)
        short = venue_position(engine)
        unwind = ["unwind", "--config", config, "--approve", "auto"]

        kill_switch.write_text("stop\n")
        code, printed = await hedgebot(unwind, log)  # halted by the kill switch in its first cycle
        assert code == 3, printed
        assert "the trading state is HALTED (set by kill_switch: kill-switch file" in printed
        assert f"remove the kill-switch file {kill_switch}, then run: hedgebot {' '.join(unwind)} --resume" in printed
        assert venue_position(engine) == short

        code, printed = await hedgebot([*unwind, "--resume"], log)  # the file is still there
        assert code == 3, printed
        assert f"cannot resume: kill-switch file {kill_switch} exists" in printed
        assert venue_position(engine) == short

        kill_switch.unlink()
        code, printed = await hedgebot(unwind, log)  # the halt is journaled: it outlives the file
        assert code == 3, printed
        assert f"To lift the halt, run: hedgebot {' '.join(unwind)} --resume" in printed
        assert venue_position(engine) == short
        assert "unwind complete" not in log.read_text()

        code, printed = await hedgebot([*unwind, "--resume"], log)
        assert code == 0, printed
        assert "unwind complete: flat (the venue shows no position)" in printed
        assert venue_position(engine) == 0
    with open_reader(tmp_path / "journal.sqlite") as journal:
        state = journal.latest_risk_state()
        assert state is not None
        assert (state.trading, state.cause) == (TradingState.ACTIVE, Trigger.OPERATOR_RESUME)
        assert state.detail == f"operator: hedgebot {' '.join(unwind)} --resume"


def venue_with_a_sol_short(balances: dict[str, Decimal], *, min_qty: Decimal | None = None) -> SimExchange:
    """A venue holding a short of 0.5 SOL made outside the bot; then, with ``min_qty``, its minimum order raised."""
    config = SimConfig(balances=balances, rate_limits=False, margin_mode=MarginMode.ISOLATED, default_leverage=D(1))
    engine = SimExchange.realtime(config)  # isolated at 1x, as the bot trades: its start-up changes nothing
    engine.trade(Category.LINEAR, "SOLUSDT", "Sell", D("0.5"))
    if min_qty is not None:
        sol = engine.instrument(Category.LINEAR, "SOLUSDT")
        engine.venue.instruments[sol.key] = replace(sol, min_qty=min_qty)
    return engine


async def test_unwind_cli_when_the_short_left_is_below_the_minimum_order_qty_then_exits_1_naming_the_dust(
    tmp_path: Path,
) -> None:
    engine = venue_with_a_sol_short({"USDT": D(10000), "SOL": D(1)}, min_qty=D(1))  # SOL is a hedged holding
    async with running_sim(engine=engine) as sim:
        config = str(write_config(tmp_path, sim.url))
        code, printed = await hedgebot(["unwind", "--config", config, "--adopt"], tmp_path / "bot.log")
        assert venue_position(engine) == D("-0.5")
    assert code == 1, printed
    assert "SOL/USDT:USDT: -0.5 contracts left: below the minimum order size" in printed
    assert "unwind: not flat: SOL/USDT:USDT -0.5 contracts left, which no order can close; close it on the venue" in (
        printed
    )
    assert "unwind complete" not in printed
    with open_reader(tmp_path / "journal.sqlite") as journal:
        assert journal.orders(limit=10) == []  # no order could close it, so none was sent


async def test_unwind_cli_when_the_venue_holds_a_short_on_an_instrument_it_does_not_hedge_then_never_says_flat(
    tmp_path: Path,
) -> None:
    engine = venue_with_a_sol_short({"USDT": D(10000)})  # no SOL holding: SOL/USDT:USDT is no hedge instrument
    async with running_sim(engine=engine) as sim:
        config = str(write_config(tmp_path, sim.url))
        code, printed = await hedgebot(["unwind", "--config", config], tmp_path / "bot.log")
        assert venue_position(engine) == D("-0.5")  # not the bot's to touch
    assert code == 1, printed
    assert "unwind complete" not in printed
    assert "SOL/USDT:USDT: -0.5 contracts on an instrument this bot does not hedge: not touched" in printed
    assert "unwind: not flat: the venue holds SOL/USDT:USDT -0.5 contracts outside the hedge" in printed
