"""End to end with real signals: a `hedgebot run` process stops cleanly on SIGINT/SIGTERM and halts on SIGUSR1."""

from __future__ import annotations

import asyncio
import signal
from decimal import Decimal
from pathlib import Path

import pytest

from bot.domain import TradingState
from bot.journal import open_reader
from hedgesim import SimConfig, SimExchange, running_sim
from tests.e2e.crash_rig import start_bot, write_config
from tests.support.bot_process import log_tail, reap, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
D = Decimal


@pytest.mark.parametrize(
    ("sent", "exit_code", "state"),
    [
        (signal.SIGTERM, 0, TradingState.ACTIVE),
        (signal.SIGINT, 0, TradingState.ACTIVE),
        (signal.SIGUSR1, 3, TradingState.HALTED),
    ],
    ids=["SIGTERM stops", "SIGINT stops", "SIGUSR1 halts"],
)
async def test_run_when_signalled_with_orders_resting_then_they_are_cancelled_positions_kept_and_exit_code_says_how(
    tmp_path: Path, sent: signal.Signals, exit_code: int, state: TradingState
) -> None:
    engine = SimExchange.realtime(SimConfig(balances={"USDT": D(60000), "SOL": D(100)}, rate_limits=False))
    async with running_sim(engine=engine) as sim:
        config = write_config(tmp_path, sim.url)
        # Sells 100 ticks above the ask: they rest (nothing trades that high in a few seconds at 1x).
        config.write_text(
            config.read_text().replace('interval = "0.5s"', 'interval = "0.5s"\npassive_offset_ticks = 100')
        )
        bot = await start_bot(config, cycles=1000, log=tmp_path / "bot.log")
        try:
            assert await wait_until(lambda: len(engine.venue.orders.open_orders()) >= 5), log_tail(tmp_path / "bot.log")
            position = engine.position("SOLUSDT").position
            bot.send_signal(sent)
            code = await asyncio.wait_for(bot.wait(), timeout=20)
        finally:
            await reap(bot)
        assert code == exit_code, log_tail(tmp_path / "bot.log")
        assert not list(engine.venue.orders.open_orders())  # every resting order of ours was cancelled
        after = engine.position("SOLUSDT").position
        assert (after.size if after else 0) == (position.size if position else 0)  # positions kept
        with open_reader(tmp_path / "journal.sqlite") as journal:
            latest = journal.latest_risk_state()
            assert (latest.trading if latest else TradingState.ACTIVE) is state
            assert not journal.unresolved_orders()
