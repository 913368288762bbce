"""End to end, as a person runs them: `hedgebot unwind` and `hedgebot status` with hedges on two venues, each a
`python -m bot` process against two simulators. "a" holds the coins (SOL and ETH) and trades SOL's hedge, "b" trades
ETH's; each venue starts with a short made outside the bot (adopted with --adopt), in a market running at 300x so
that the passive buy-backs fill within seconds."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path

import pytest

from hedgesim import SimConfig, SimExchange, SimServer, running_sim
from hedgesim.enums import MarginMode
from hedgesim.instruments import Category
from tests.support.bot_process import hedgebot

pytestmark = pytest.mark.e2e
D = Decimal

CONFIG = """\
[venues.a]
exchange = "bybit"
mode = "sim"
url = "{a}"
client_rate_limit = false
timeout_seconds = 3

[venues.b]
exchange = "bybit"
mode = "sim"
url = "{b}"
client_rate_limit = false
timeout_seconds = 3

[holdings]
venues = ["a"]

[hedges.ETH]
venue = "b"

[policy]
ratio = 1

[execution]
leverage = 1
interval = "0.5s"

[risk]
kill_switch_file = "{folder}/hedgebot.halt"

[approval]
mode = "auto"

[journal]
path = "{folder}/journal.sqlite"
"""


def venue_with_a_short(balances: dict[str, Decimal], symbol: str, qty: str) -> SimExchange:
    """A venue in a fast market, isolated at 1x as the bot trades, holding a short made outside the bot."""
    config = SimConfig(
        balances=balances, rate_limits=False, margin_mode=MarginMode.ISOLATED, default_leverage=D(1), speed=300
    )
    engine = SimExchange.realtime(config)
    engine.trade(Category.LINEAR, symbol, "Sell", D(qty))
    return engine


def position(engine: SimExchange, symbol: str) -> Decimal:
    view = engine.position(symbol)
    return view.position.size if view.position is not None else D(0)


@asynccontextmanager
async def two_venues(tmp_path: Path) -> AsyncIterator[tuple[SimServer, SimServer, str]]:
    a_engine = venue_with_a_short({"SOL": D(1), "ETH": D("0.1"), "USDT": D(10000)}, "SOLUSDT", "0.5")
    b_engine = venue_with_a_short({"USDT": D(10000)}, "ETHUSDT", "0.05")
    async with running_sim(engine=a_engine) as a, running_sim(engine=b_engine) as b:
        config = tmp_path / "hedgebot.toml"
        config.write_text(CONFIG.format(a=a.url, b=b.url, folder=tmp_path), encoding="utf-8")
        yield a, b, str(config)


def orders_sent(*sims: SimServer) -> list[str]:
    return [r.path for sim in sims for r in sim.requests if r.method == "POST" and r.path == "/v5/order/create"]


async def test_unwind_cli_when_a_symbol_no_venue_lists_then_exit_2_naming_the_closest_and_nothing_sent(
    tmp_path: Path,
) -> None:
    async with two_venues(tmp_path) as (a, b, config):
        args = ["unwind", "--config", config, "--venue", "a", "--approve", "auto", "--symbol", "SOLL/USDT:USDT"]
        code, printed = await hedgebot(args, tmp_path / "bot.log")
        assert orders_sent(a, b) == []
        assert position(a.engine, "SOLUSDT") == D("-0.5")
    assert code == 2, printed
    assert "hedgebot unwind: --symbol: SOLL/USDT:USDT is not a perpetual that a, b lists (closest listed: SOL/USDT" in (
        printed
    )
    assert "nothing was done" in printed


async def test_unwind_and_status_cli_when_hedges_trade_on_two_venues_then_both_flattened_and_both_shown(
    tmp_path: Path,
) -> None:
    log = tmp_path / "bot.log"
    async with two_venues(tmp_path) as (a, b, config):
        code, unwound = await hedgebot(
            ["unwind", "--config", config, "--venue", "a", "--approve", "auto", "--adopt"], log
        )
        assert (position(a.engine, "SOLUSDT"), position(b.engine, "ETHUSDT")) == (0, 0), unwound
        status_code, printed = await hedgebot(["status", "--config", config, "--venue", "a", "--json"], log)
    assert code == 0, unwound
    assert unwound.count("unwind complete: flat (the venue shows no position)") == 2
    assert status_code == 0, printed
    status = json.loads(printed[printed.index('{\n  "venues"') :])
    assert [v["venue"] for v in status["venues"]] == ["a", "b"]
    first, second = status["venues"]
    assert [h["asset"] for h in first["holdings"]] == ["SOL"]
    assert [h["asset"] for h in second["holdings"]] == ["ETH"]
    assert all(D(i["contracts"]) == 0 for v in status["venues"] for i in v["instruments"])
