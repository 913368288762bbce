"""End to end: the API key and secret appear nowhere the bot writes, even at debug level with faults.

A real `hedgebot` process trades against the simulator under a credential set of its own, logging at debug level
while the venue answers with errors, rate limits, lost responses, cut connections and a refused clock; then a
second run is refused for a wrong secret (its exception text printed), and `status` and `journal` are asked. The
scan covers everything: the processes' stdout and stderr, the journal dumped row by row (SQL), and the output of
the reading commands. A secret in any of them fails the test.
"""

from __future__ import annotations

import secrets
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from hedgesim import SimConfig, SimExchange, SimServer, running_sim
from tests.support.bot_process import hedgebot, log_since, reap, start_hedgebot, wait_for_log

pytestmark = pytest.mark.e2e
D = Decimal

KEY = f"scankey{secrets.token_hex(8)}"
SECRET = f"scansecret{secrets.token_hex(16)}"
WRONG_SECRET = f"wrongsecret{secrets.token_hex(16)}"


def config_file(folder: Path, url: str) -> Path:
    path = folder / "hedgebot.toml"
    path.write_text(
        f"""
[venues.main]
exchange = "bybit"
mode = "sim"
url = "{url}"
credentials = "SCAN"
client_rate_limit = false
timeout_seconds = 2

[holdings]
venues = ["main"]

[hedges.SOL]
instrument = "SOL/USDT:USDT"

[policy]
ratio = 0.5

[execution]
interval = "1s"

[approval]
mode = "auto"

[journal]
path = "{folder / "journal.sqlite"}"

[risk]
kill_switch_file = "{folder / "hedgebot.halt"}"
"""
    )
    return path


def inject_faults(sim: SimServer) -> None:
    """One of each kind a request can meet, each for the next request or two to its path."""
    sim.fault("http_error", path="/v5/market/orderbook", times=1, status=502)
    sim.fault("rate_limit", path="/v5/position/list", times=2)
    sim.fault("network_cut", path="/v5/account/wallet-balance", times=1)
    sim.fault("clock_skew", path="/v5/order/realtime", times=1, skew_ms=600_000)
    sim.fault("lose_response", path="/v5/execution/list", times=1, delay=3)  # held past the 2 s timeout
    sim.fault("latency", path="/v5/market/tickers", times=2, delay=0.2)


def journal_dump(path: Path) -> str:
    with sqlite3.connect(path) as connection:
        return "\n".join(connection.iterdump())


async def test_run_when_logging_at_debug_through_faults_then_neither_key_nor_secret_is_written_anywhere(
    tmp_path: Path,
) -> None:
    engine = SimExchange.realtime(
        SimConfig(api_key=KEY, api_secret=SECRET, speed=30, balances={"USDT": D(20000), "SOL": D(100)})
    )
    env = {"SCAN_API_KEY": KEY, "SCAN_API_SECRET": SECRET}
    log = tmp_path / "bot.log"
    async with running_sim(engine=engine) as sim:
        config = config_file(tmp_path, sim.url)
        base = ["--log-level", "debug", "--log-format", "json"]
        bot = await start_hedgebot([*base, "run", "--config", str(config), "--cycles", "6"], log, env=env)
        try:
            await wait_for_log(log, '"event": "cycle.summary"', seconds=60)
            inject_faults(sim)
            await wait_for_log(log, '"event": "cycle.summary"', count=4, seconds=90)
        finally:
            await reap(bot)
        refused = await start_hedgebot(
            [*base, "run", "--config", str(config), "--cycles", "1"], log, env={**env, "SCAN_API_SECRET": WRONG_SECRET}
        )
        try:
            refused_code = await refused.wait()
        finally:
            await reap(refused)
        status = await hedgebot([*base, "status", "--config", str(config)], log, env=env)
        for view in ("cycles", "orders", "fills"):
            await hedgebot([*base, "journal", "--config", str(config), view], log, env=env)
        met = {fault for record in sim.requests for fault in record.faults}
    written = log_since(log) + journal_dump(tmp_path / "journal.sqlite")
    assert met >= {"http_error", "rate_limit", "network_cut", "clock_skew", "lose_response"}, met
    assert refused_code == 4, "the wrong secret is refused until a person acts"
    assert "the API key was refused" in written  # its exception text is part of what was scanned
    assert status[0] == 0, status[1][-2000:]
    assert '"level": "debug"' in written  # the scan read debug output, not a quieter log
    assert "order.submitted" in written  # of a run that traded
    for needle in (KEY, SECRET, WRONG_SECRET):
        assert needle not in written, f"{needle[:9]}... was written"
