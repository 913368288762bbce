"""End to end: however a run ends (its cycles done, stopped, halted), every fill of ours at the venue is journaled.

Fills made after the last cycle's sync (the market trading through our resting orders while the bot pauses or
waits for an approval) are synced once more before the run is recorded as ended, so `journal fills` never lacks
the fills of orders `journal orders` shows filled.
"""

from __future__ import annotations

import asyncio
import signal
from decimal import Decimal
from pathlib import Path

import pytest

from bot.cli.run import drive
from bot.config import load_config
from bot.execution.approval import Approval, Review, Verdict
from bot.execution.run import RunOptions
from bot.journal import open_reader
from hedgesim import SimConfig, SimExchange, running_sim
from hedgesim.instruments import Category
from hedgesim.orders import ExecType
from tests.e2e.crash_rig import start_bot, write_config
from tests.support.bot_process import log_tail, reap, wait_for_log

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
D = Decimal
JUMP = D("0.05")  # SOL jumps 5 %: through every resting sell of ours (100 ticks, about 0.5 %, above the ask)


def account(balances: dict[str, Decimal] | None = None) -> SimExchange:
    return SimExchange.realtime(SimConfig(balances=balances or {"USDT": D(60000), "SOL": D(100)}, rate_limits=False))


def resting_config(folder: Path, url: str, interval: str) -> Path:
    """Auto approval; sells rest 100 ticks above the ask (nothing trades that high unless the market jumps)."""
    config = write_config(folder, url)
    text = config.read_text().replace('interval = "0.5s"', f'interval = "{interval}"\npassive_offset_ticks = 100')
    config.write_text(text, encoding="utf-8")
    return config


def venue_trades(engine: SimExchange) -> set[str]:
    return {e.exec_id for e in engine.executions if e.exec_type is ExecType.TRADE and e.category is Category.LINEAR}


def journaled_trades(folder: Path) -> set[str]:
    with open_reader(folder / "journal.sqlite") as journal:
        return {f.fill.trade_id for f in journal.fills(limit=10_000)}


class ApprovesWhileTheMarketJumps:
    """Approves everything; on its ``jump_on``-th review the market jumps through our resting orders, as it may
    while a person reads an approval prompt."""

    name = "auto"

    def __init__(self, engine: SimExchange, jump_on: int) -> None:
        self.engine = engine
        self.jump_on = jump_on
        self.reviews = 0

    async def review(self, review: Review) -> list[Approval]:
        self.reviews += 1
        if self.reviews == self.jump_on:
            self.engine.gap("SOL", JUMP)
        return [Approval(intent, Verdict.APPROVED, self.name) for intent in review.intents]


async def test_run_when_its_cycles_are_done_after_fills_since_the_last_sync_then_every_fill_is_journaled(
    tmp_path: Path,
) -> None:
    engine = account()
    async with running_sim(engine=engine) as sim:
        config = load_config(resting_config(tmp_path, sim.url, "0.5s"), env={})
        approver = ApprovesWhileTheMarketJumps(engine, jump_on=2)  # in the last cycle, after its sync
        code = await drive(config, "main", approver, RunOptions(cycles=2))
    assert code == 0
    assert approver.reviews == 2
    trades = venue_trades(engine)
    assert trades  # the jump filled our resting sells
    assert journaled_trades(tmp_path) == trades


@pytest.mark.parametrize(
    ("sent", "exit_code"), [(signal.SIGTERM, 0), (signal.SIGUSR1, 3)], ids=["SIGTERM stops", "SIGUSR1 halts"]
)
async def test_run_when_signalled_after_fills_since_the_last_sync_then_every_fill_is_journaled(
    tmp_path: Path, sent: signal.Signals, exit_code: int
) -> None:
    engine = account()
    async with running_sim(engine=engine) as sim:
        config = resting_config(tmp_path, sim.url, "1h")  # after its first cycle the bot pauses: no more syncs
        log = tmp_path / "bot.log"
        bot = await start_bot(config, cycles=1000, log=log)
        try:
            await wait_for_log(log, '"event": "cycle.summary"')
            engine.gap("SOL", JUMP)
            bot.send_signal(sent)
            code = await asyncio.wait_for(bot.wait(), timeout=20)
        finally:
            await reap(bot)
    assert code == exit_code, log_tail(log)
    trades = venue_trades(engine)
    assert trades
    assert journaled_trades(tmp_path) == trades
