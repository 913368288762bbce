"""End to end through a terminal: a stop or a halt interrupts an approval prompt at once.

A real `hedgebot run` process asks at a pseudo-terminal (approval.mode = "ask"), the way a person runs it. While
a prompt waits for an answer, Ctrl-C (SIGINT), SIGUSR1 or the kill-switch file stops trading within 2 s: our
resting orders are cancelled, the unanswered orders are rejected (nothing more is sent), and a halt is journaled.
"""

from __future__ import annotations

import asyncio
import os
import pty
import signal
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from decimal import Decimal
from pathlib import Path

import pytest

from bot.cli.approve import ORDER_PROMPT, PLAN_PROMPT
from bot.domain import TradingState
from bot.journal import open_reader
from hedgesim import SimConfig, SimExchange, running_sim
from tests.e2e.crash_rig import write_config
from tests.support.bot_process import log_tail, reap, start_hedgebot, wait_for_log

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
D = Decimal
ASKED = PLAN_PROMPT  # a cycle's plan, shown as one table
ORDER_ASKED = ORDER_PROMPT.split(": ", 1)[1]  # one of its orders, going one by one


def asking_config(folder: Path, url: str) -> Path:
    """Approval at the terminal (a minute to answer); sells rest 100 ticks above the ask."""
    config = write_config(folder, url)
    text = config.read_text().replace('interval = "0.5s"', 'interval = "0.5s"\npassive_offset_ticks = 100')
    config.write_text(text.replace('mode = "auto"', 'mode = "ask"\ntimeout = "60s"'), encoding="utf-8")
    return config


@contextmanager
def terminal() -> Iterator[tuple[int, int]]:
    """A pseudo-terminal: (the keyboard's end, the end the bot reads as its stdin)."""
    keyboard, replica = pty.openpty()
    try:
        yield keyboard, replica
    finally:
        os.close(keyboard)
        os.close(replica)


def kill_switch_file(folder: Path) -> Callable[[asyncio.subprocess.Process], None]:
    return lambda _bot: (folder / "hedgebot.halt").write_text("stop\n", encoding="utf-8")


def signalling(sent: signal.Signals) -> Callable[[Path], Callable[[asyncio.subprocess.Process], None]]:
    return lambda _folder: lambda bot: bot.send_signal(sent)


async def until_cancelled(engine: SimExchange, bot: asyncio.subprocess.Process, since: float) -> float:
    """Seconds from ``since`` until the venue shows none of our orders resting (the bot has stopped trading and
    cancelled them), or until the bot exits or 10 s pass. The process's own exit (interpreter shutdown on a busy
    machine) is waited for separately, with a looser bound."""
    while engine.venue.orders.open_orders() and bot.returncode is None and time.monotonic() - since < 10:  # noqa: ASYNC110 (polls another process's effect)
        await asyncio.sleep(0.02)
    return time.monotonic() - since


def interrupted_notes(journal: Path) -> list[str]:
    with sqlite3.connect(f"{journal.as_uri()}?mode=ro", uri=True) as conn:
        return [note for (note,) in conn.execute("SELECT note FROM approvals WHERE note LIKE 'not answered:%'")]


@pytest.mark.parametrize(
    ("interrupt", "exit_code", "state", "reason"),
    [
        (signalling(signal.SIGINT), 0, TradingState.ACTIVE, "stop requested"),
        (signalling(signal.SIGUSR1), 3, TradingState.HALTED, "halt signal received (SIGUSR1)"),
        (kill_switch_file, 3, TradingState.HALTED, "kill-switch file"),
    ],
    ids=["Ctrl-C stops", "SIGUSR1 halts", "kill-switch file halts"],
)
async def test_run_when_interrupted_while_a_prompt_waits_then_ends_within_2s_cancelling_our_resting_orders(
    tmp_path: Path,
    interrupt: Callable[[Path], Callable[[asyncio.subprocess.Process], None]],
    exit_code: int,
    state: TradingState,
    reason: str,
) -> None:
    engine = SimExchange.realtime(SimConfig(balances={"USDT": D(60000), "SOL": D(100)}, rate_limits=False))
    log = tmp_path / "bot.log"
    async with running_sim(engine=engine) as sim:
        config = asking_config(tmp_path, sim.url)
        with terminal() as (keyboard, replica):
            bot = await start_hedgebot(["run", "--config", str(config)], log, stdin=replica)
            code = None
            try:
                await wait_for_log(log, ASKED, count=1)
                os.write(keyboard, b"o\n")  # one by one
                await wait_for_log(log, ORDER_ASKED, count=1)
                os.write(keyboard, b"y\n")  # the cycle's first order goes out, and rests
                await wait_for_log(log, ORDER_ASKED, count=2)
                os.write(keyboard, b"r\n")  # the rest of the cycle is rejected
                await wait_for_log(log, ASKED, count=2)  # the next cycle asks again: nobody answers
                assert len(engine.venue.orders.open_orders()) == 1
                interrupt(tmp_path)(bot)
                asked = time.monotonic()
                took = await until_cancelled(engine, bot, asked)
                with suppress(TimeoutError):
                    code = await asyncio.wait_for(bot.wait(), timeout=10)
            finally:
                await reap(bot)
    assert code == exit_code, log_tail(log)
    assert took < 2, f"our resting order was cancelled {took:.1f}s after the interrupt"
    assert engine.venue.orders.open_orders() == []  # our resting order was cancelled
    with open_reader(tmp_path / "journal.sqlite") as journal:
        latest = journal.latest_risk_state()
        assert (latest.trading if latest else TradingState.ACTIVE) is state
    notes = interrupted_notes(tmp_path / "journal.sqlite")
    assert notes  # the orders of the unanswered prompt: rejected, never sent
    assert all(reason in note for note in notes)
