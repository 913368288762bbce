"""End to end with real processes: `hedgebot run` is SIGKILLed with orders resting on the (real-time) simulator while
`hedgebot watchdog` runs beside it: the bot's orders are cancelled once its heartbeat is a window old, never before;
the foreign order and the position stay."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from hedgesim import SimConfig, SimExchange, running_sim
from hedgesim.enums import MarginMode, Side
from hedgesim.instruments import Category
from hedgesim.orders import NewOrder, OrderType
from tests.e2e.crash_rig import write_config
from tests.support.bot_process import log_tail, reap, start_hedgebot, wait_for_log

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
D = Decimal
WINDOW_MS = 4000


def journal_ms(journal: Path, sql: str) -> int | None:
    conn = sqlite3.connect(f"{journal.as_uri()}?mode=ro", uri=True)
    try:
        value = conn.execute(sql).fetchone()[0]
    finally:
        conn.close()
    return None if value is None else int(value)


async def until(condition, seconds: float, what: str) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{what}: not within {seconds}s")


async def test_watchdog_when_the_bot_is_sigkilled_with_orders_resting_then_ours_cancelled_within_the_window(
    tmp_path: Path,
) -> None:
    engine = SimExchange.realtime(SimConfig(balances={"USDT": D(60000), "SOL": D(100)}, rate_limits=False))
    engine.set_margin_mode(MarginMode.ISOLATED)
    engine.trade(Category.LINEAR, "SOLUSDT", "sell", D(20))  # a short the bot adopts: it must outlive the bot
    foreign = NewOrder(Category.LINEAR, "SOLUSDT", Side.SELL, OrderType.LIMIT, D(1), D(400), link_id="manual1")
    engine.place_order(foreign)
    async with running_sim(engine=engine) as sim:
        config = write_config(tmp_path, sim.url)
        # Sells 100 ticks above the ask rest (nothing trades that high in a few seconds at 1x); a 4 s window.
        text = config.read_text().replace('interval = "0.5s"', 'interval = "0.5s"\npassive_offset_ticks = 100')
        config.write_text(text + f'\n[watchdog]\nwindow = "{WINDOW_MS / 1000}s"\n')
        journal = tmp_path / "journal.sqlite"
        bot_log, dog_log = tmp_path / "bot.log", tmp_path / "watchdog.log"
        bot = await start_hedgebot(["run", "--config", str(config), "--cycles", "100000", "--adopt"], bot_log)
        dog = await start_hedgebot(["watchdog", "--config", str(config)], dog_log)
        try:

            def ours() -> list[str]:
                return [
                    o.link_id or "" for o in engine.venue.orders.open_orders() if (o.link_id or "").startswith("hb")
                ]

            await until(lambda: len(ours()) >= 3, 60, f"the bot's orders resting\n{log_tail(bot_log)}")
            await wait_for_log(bot_log, "protection: heartbeat every 1s for `hedgebot watchdog` (window 4s)")
            position = engine.position("SOLUSDT").position
            bot.send_signal(signal.SIGKILL)
            await bot.wait()
            await until(lambda: not ours(), 60, f"our orders cancelled\n{log_tail(dog_log)}")
            assert dog.returncode is None  # the watchdog runs on
            dog.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(dog.wait(), timeout=30) == 0, log_tail(dog_log)
        finally:
            await reap(bot)
            await reap(dog)

        assert [o.link_id for o in engine.venue.orders.open_orders()] == ["manual1"]  # the foreign order stays
        after = engine.position("SOLUSDT").position
        assert position is not None
        assert after is not None
        assert after.size == position.size == D(-20)  # the position stays
        last_beat = journal_ms(journal, "SELECT MAX(at_ms) FROM heartbeats")
        first_cancel = journal_ms(
            journal,
            "SELECT MIN(at_ms) FROM order_events WHERE kind = 'cancel_requested' AND detail LIKE 'watchdog:%'"
            f" AND at_ms > {last_beat}",
        )
        assert last_beat is not None
        assert first_cancel is not None
        assert WINDOW_MS < first_cancel - last_beat < 2 * WINDOW_MS, log_tail(dog_log)  # never early; in time
        assert "watchdog.fired" in dog_log.read_text()
