"""End to end: a dry run against the simulator, wired as `hedgebot run --dry-run` wires it, on a stepped clock.

The simulator stands for any venue: the dry run reads its market and wallet, and trades on paper by the
simulator's own matching rules. Its request log shows what the dry run sent.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.cli.status import _status as status_command
from bot.settings.from_config import settings_for
from hedgesim.instruments import Category
from hedgesim.orders import ExecType
from tests.e2e.harness import SOL, Harness, running_bot

pytestmark = pytest.mark.e2e
D = Decimal
PORTFOLIO = {"USDT": D(40000), "SOL": D(100)}  # 100 SOL to hedge at ratio 1: a short of 95 to 100
# Every Bybit v5 endpoint that changes something: orders (create, amend, cancel, cancel-all), leverage, margin and
# position mode. A dry run may call none of them.
WRITE_PATHS = (
    "/v5/order/create",
    "/v5/order/amend",
    "/v5/order/cancel",
    "/v5/order/cancel-all",
    "/v5/position/set-leverage",
    "/v5/position/switch-isolated",
    "/v5/position/switch-mode",
    "/v5/account/set-margin-mode",
)


def paper_fees(bot: Harness) -> Decimal:
    return sum((f.fill.fee for f in bot.journal.fills(limit=10_000)), D(0))


def venue_fees(bot: Harness) -> Decimal:
    trades = [e for e in bot.engine.executions if e.exec_type is ExecType.TRADE and e.category is Category.LINEAR]
    return sum((e.fee for e in trades), D(0))


async def test_dry_run_when_a_portfolio_needs_a_hedge_for_12_cycles_then_no_write_reaches_the_venue_and_the_paper_short_is_in_band(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with running_bot(tmp_path, balances=PORTFOLIO, dry_run=True) as bot:
        outcomes = await bot.cycles(12)
        paper = (await bot.port.fetch_positions([SOL]))[SOL].contracts
        capsys.readouterr()
        settings = settings_for(bot.config, "main")
        assert await status_command(bot.config, [settings], True, None, bot.engine.clock, dry_run=True) == 0
        printed = capsys.readouterr().out
        requests = bot.sim.requests
        fills = bot.journal.fills(limit=10_000)

    assert [f"{r.method} {r.path}" for r in requests if r.path in WRITE_PATHS or r.method != "GET"] == []
    assert {r.path for r in requests} >= {"/v5/market/orderbook", "/v5/market/recent-trade"}  # it did read
    assert bot.position() == 0  # the venue's own account never traded
    assert -100 <= paper <= -95  # the paper short: within the 5 % band
    assert outcomes[-1].instruments[0].reason == "hedged_within_band"
    assert fills
    assert all(f.fill.maker for f in fills)
    assert sum(f.fill.amount for f in fills) == -paper  # the dry run's journal explains the paper short
    assert not (tmp_path / "journal.sqlite").exists()  # never mixed with a real run's journal
    status = json.loads(printed[printed.index('{\n  "venue"') :])
    (sol,) = status["holdings"]
    assert D(sol["ratio"]) == -paper / 100
    assert D(sol["fees"]) == sum((f.fill.fee for f in fills), D(0))
    assert "DRY-RUN" in status["mode"]
    assert main(["journal", "fills", "--dry-run", "--journal", str(tmp_path / "journal.sqlite"), "--json"]) == 0
    journal = capsys.readouterr().out
    listed = json.loads(journal[journal.index("[\n  {") :])  # after any log lines printed in tests
    assert len(listed) == len(fills)


async def test_dry_run_and_real_run_when_over_the_same_window_then_hedges_within_a_lot_and_fees_within_10_percent(
    tmp_path: Path,
) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "dry").mkdir()
    async with running_bot(tmp_path / "real", balances=PORTFOLIO) as real:
        await real.cycles(12)
        real_position, real_fees = real.position(), venue_fees(real)
    async with running_bot(tmp_path / "dry", balances=PORTFOLIO, dry_run=True) as dry:
        await dry.cycles(12)
        paper_position, fees = (await dry.port.fetch_positions([SOL]))[SOL].contracts, paper_fees(dry)
        lot = (await dry.port.load_markets())[SOL].lot_step
    assert real_position < 0
    assert abs(paper_position - real_position) <= lot
    assert abs(fees - real_fees) <= real_fees * D("0.10")


async def test_status_when_dry_run_then_says_no_dead_mans_switch_is_needed_rather_than_no_heartbeat(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with running_bot(tmp_path, balances=PORTFOLIO, dry_run=True) as bot:
        await bot.cycles(2)
        capsys.readouterr()
        settings = settings_for(bot.config, "main")
        assert await status_command(bot.config, [settings], False, None, bot.engine.clock, dry_run=True) == 0
        printed = capsys.readouterr().out
    assert "dead-man's switch: none needed: a dry run's orders rest on paper, never at the venue" in printed
    assert "no heartbeat journaled" not in printed
