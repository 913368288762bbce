"""End to end: `hedgebot status --json` after the real loop hedged through fills, a buy-back and a funding
settlement on the simulator; every figure agrees with the simulator's own ledger."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.cli.status import _status as status_command
from bot.cli.status import read_status
from bot.cli.status_output import print_status, print_status_json
from bot.settings.from_config import journal_path, settings_for
from hedgesim.instruments import Category
from hedgesim.orders import ExecType
from tests.e2e.harness import running_bot

pytestmark = pytest.mark.e2e
D = Decimal
START = datetime(2025, 10, 10, 15, 30, tzinfo=UTC)  # funding settles at 16:00 UTC


async def test_status_json_when_hedged_through_fills_buy_back_and_funding_then_agrees_with_the_simulators_ledger(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with running_bot(
        tmp_path, balances={"USDT": D(60000), "SOL": D(100)}, start=START, holdings={"price": "last"}
    ) as bot:
        spot_at: dict[datetime, Decimal] = {}  # the SOL spot price the simulator published at each cycle
        sol_spot = bot.engine.instrument(Category.SPOT, "SOLUSDT")

        def published() -> Decimal:
            return sol_spot.on_tick(bot.engine.venue.market.last(Category.SPOT, "SOL", bot.engine.now_ms()))

        async def cycles_until(done: Callable[[], bool], wait: timedelta = timedelta(minutes=1)) -> None:
            for _ in range(60):
                spot_at[bot.now()] = published()
                await bot.cycle(wait)
                if done():
                    return
            raise AssertionError("the market never got there")

        await cycles_until(lambda: bot.position() <= -95)  # the short is built: every sell filled
        bot.engine.withdraw("SOL", D(30))  # the hedge buys back 30: realised PnL
        await cycles_until(lambda: bot.position() >= D("-72.5") and bot.now() > START.replace(minute=0, hour=16))
        await bot.pipeline.run_cycle()  # journals the fills and funding up to now, as a running bot does every cycle
        capsys.readouterr()
        print_status_json(
            [await read_status(settings_for(bot.config, "main"), journal_path(bot.config), bot.port, bot.engine.clock)],
            ["sim"],
        )
        printed = capsys.readouterr().out
        status = json.loads(printed[printed.index('{\n  "venue"') :])  # after any log lines printed in tests
        ledger, spot_now = bot.engine.state(), published()

    trades = [e for e in bot.engine.executions if e.exec_type is ExecType.TRADE and e.symbol == "SOLUSDT"]
    payments = [e for e in bot.engine.executions if e.exec_type is ExecType.FUNDING]
    assert any(e.side.value == "sell" for e in trades)  # the ledger holds sells, a buy-back and funding
    assert any(e.side.value == "buy" for e in trades)
    assert payments
    (sol,) = status["holdings"]
    total = status["total"]
    (position,) = ledger["positions"]
    mark = D(position["mark"])

    fees = sum((e.fee for e in trades), D(0))
    funding = -sum((e.fee for e in payments), D(0))  # the simulator books funding paid as a positive fee
    leg_total = D(position["cum_realised"]) + D(position["unrealised"])  # realised - fees - funding paid + unrealised
    assert D(sol["fees"]) == D(total["fees"]) == fees
    assert D(sol["funding"]) == D(total["funding"]) == funding
    assert D(sol["hedge_pnl"]) + D(sol["funding"]) - D(sol["fees"]) == leg_total

    first_fill = datetime.fromtimestamp(min(e.time_ms for e in trades) / 1000, UTC)
    opening_price = spot_at[max(at for at in spot_at if at <= first_fill)]  # the cycle that opened the hedge
    assert sol["opened_at"] == first_fill.isoformat()
    assert D(sol["spot_pnl"]) == D(70) * (spot_now - opening_price)
    assert D(sol["combined_pnl"]) == D(sol["spot_pnl"]) + leg_total
    assert D(total["combined_pnl"]) == D(sol["combined_pnl"])
    assert sol["today"] == {key: sol[key] for key in ("spot_pnl", "hedge_pnl", "funding", "fees", "combined_pnl")}

    assert D(sol["basis_bps"]) == (mark - spot_now) / spot_now * 10000
    liquidation = D(position["liquidation"])
    assert D(sol["liquidation_distance"]) == D(total["liquidation_distance"]) == abs(liquidation - mark) / mark
    assert D(sol["ratio"]) == -D(position["position"]["size"]) / 70
    _assert_every_figure_present(sol, total)


def _assert_every_figure_present(holding: dict[str, Any], total: dict[str, Any]) -> None:
    keys = ("spot_pnl", "hedge_pnl", "funding", "fees", "combined_pnl", "basis_bps", "liquidation_distance")
    assert all(holding[key] is not None and total[key] is not None for key in keys)


async def test_status_when_printed_then_both_legs_with_and_without_the_hedge_and_the_dead_mans_switch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with running_bot(tmp_path, balances={"USDT": D(60000), "SOL": D(100)}, start=START) as bot:
        for _ in range(30):
            await bot.cycle(timedelta(minutes=1))
            if bot.position() <= -95:
                break
        await bot.pipeline.run_cycle()  # journals the fills
        await bot.run.deadman.beat()
        bot.sim.advance(timedelta(seconds=12))
        capsys.readouterr()
        print_status(
            await read_status(settings_for(bot.config, "main"), journal_path(bot.config), bot.port, bot.engine.clock),
            "sim",
            dry_run=False,
        )
        printed = capsys.readouterr().out
    assert "since the hedge opened: with the hedge " in printed
    assert "% (holdings worth " in printed
    assert "dead-man's switch: heartbeat of run e2etst 12s ago" in printed
    assert "exchange-side: none on venue main (none for ordinary accounts there: run `hedgebot watchdog`)" in printed
    assert "0 resting order(s) of ours; 0 foreign (never touched)" in printed


async def test_status_watch_when_json_then_one_document_a_line_every_refresh(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with running_bot(tmp_path, balances={"USDT": D(60000), "SOL": D(100)}, start=START) as bot:
        await bot.cycle()
        capsys.readouterr()
        watch = asyncio.create_task(
            status_command(bot.config, [settings_for(bot.config, "main")], True, 0.5, bot.engine.clock)
        )
        documents: list[dict[str, Any]] = []
        for _ in range(400):  # until three refreshes printed, however slow the machine
            lines = capsys.readouterr().out.splitlines()
            documents += [json.loads(line) for line in lines if line.startswith('{"venue":')]  # not log lines
            if len(documents) >= 3:
                break
            await asyncio.sleep(0.05)
        watch.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watch
    assert len(documents) >= 3
    assert all(d["venue"] == "main" and d["holdings"][0]["asset"] == "SOL" for d in documents)


async def test_status_when_a_short_on_a_perpetual_the_bot_does_not_hedge_then_shown_apart_as_such(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with running_bot(tmp_path, balances={"USDT": D(60000), "SOL": D(100)}, start=START) as bot:
        await bot.cycle(timedelta(minutes=1))
        bot.engine.trade(Category.LINEAR, "ETHUSDT", "sell", D("1.5"))  # someone else's short: no ETH is held
        settings, path = settings_for(bot.config, "main"), journal_path(bot.config)
        view = await read_status(settings, path, bot.port, bot.engine.clock)
        capsys.readouterr()
        print_status(view, "sim", dry_run=False)
        printed = capsys.readouterr().out
        print_status_json([view], ["sim"])
        status = json.loads(capsys.readouterr().out)
    assert "Other positions on the account, not this bot's hedge" in printed
    assert "ETH/USDT:USDT: -1.5 contracts, entry " in printed
    (other,) = status["other_positions"]
    assert (other["symbol"], D(other["contracts"])) == ("ETH/USDT:USDT", D("-1.5"))
    assert [i["symbol"] for i in status["instruments"]] == ["SOL/USDT:USDT"]
