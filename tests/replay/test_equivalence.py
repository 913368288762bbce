"""Specification of the replay's speed-up: the in-process port makes the same journal as HTTP and ccxt.

The same bot (configuration, run id, policies, planner, risk gate, executor) replays the same window twice on two
identical simulators: once through the real ccxt client over HTTP, once through ``SimPort``. Every order, order
event, fill and funding payment the two journals hold must be equal, to the unit and the millisecond, and so must
every step the replay recorded.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.config import AppConfig
from bot.exchange.factory import build_exchange
from bot.exchange.port import ExchangePort
from bot.journal.writer import open_journal
from bot.replay.observe import ObservedPort
from bot.replay.port import SimPort
from bot.replay.record import Recording
from bot.replay.run import BotHedger, Recorder, replay
from bot.settings.from_config import settings_for, venue_settings
from hedgesim import SimConfig, SimExchange, running_sim
from tests.replay.factories import CASCADE, hedge_config

pytestmark = pytest.mark.e2e

D = Decimal
START = datetime.fromisoformat("2025-10-10T23:20:00+00:00")  # builds the hedge, then funding settles at 00:00
END = START + timedelta(minutes=55)
BALANCES = {"USDT": D(60_000), "SOL": D(150), "ETH": D(4)}
HOLDINGS = {"SOL": D(150), "ETH": D(4), "BTC": D("0.2")}
TABLES = {
    "orders": "client_order_id",
    "order_events": "event_id",
    "fills": "venue, symbol, trade_id",
    "funding": "venue, symbol, at_ms",
    "intents": "intent_id",
}


def engine() -> SimExchange:
    return SimExchange.deterministic(SimConfig(sample=CASCADE, start=START, balances=BALANCES, rate_limits=False))


async def replay_through(
    port: ExchangePort, simulator: SimExchange, config: AppConfig, journal_path: Path
) -> Recording:
    journal = open_journal(journal_path, simulator.clock, durable=False)
    observed = ObservedPort(port, simulator.clock)
    try:
        markets = await observed.load_markets()
        hedger = BotHedger(settings_for(config, "main"), observed, journal, simulator.clock, "rpl123")
        recorder = Recorder(observed, HOLDINGS, markets)
        return await replay(
            simulator, hedger, recorder, until=END, step=timedelta(minutes=1), band=config.execution.band
        )
    finally:
        journal.close()


def rows(path: Path, table: str) -> list[dict[str, Any]]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY {TABLES[table]}")]
    finally:
        conn.close()


async def test_replay_when_in_process_and_over_http_then_the_same_journal_and_recording(tmp_path: Path) -> None:
    config = hedge_config()
    served = engine()
    async with running_sim(engine=served) as sim:
        venue = config.venues["main"].model_copy(update={"url": sim.url, "client_rate_limit": False})
        adapter = build_exchange(venue_settings("main", venue), config.credentials("main"), served.clock)
        try:
            over_http = await replay_through(adapter, served, config, tmp_path / "http.sqlite")
        finally:
            await adapter.close()
    direct = engine()
    in_process = await replay_through(SimPort("main", direct), direct, config, tmp_path / "direct.sqlite")
    for table in TABLES:
        http_rows, direct_rows = rows(tmp_path / "http.sqlite", table), rows(tmp_path / "direct.sqlite", table)
        assert direct_rows == http_rows, f"journal table {table} differs"
    assert rows(tmp_path / "direct.sqlite", "fills"), "no fill was compared: the window must trade"
    assert rows(tmp_path / "direct.sqlite", "funding"), "no funding payment was compared: a settlement must fall in it"
    assert in_process.steps == over_http.steps
    assert in_process.trades == over_http.trades
    assert in_process.counts == over_http.counts
