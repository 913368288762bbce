"""End to end: the API key's permissions, read from the simulator's /v5/user/query-api at start-up. Unattended, a
key that can withdraw is refused (exit 4, nothing sent) with why and how to make a trade-only key; accepted with
``allow_withdrawal_key = true``."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from bot.execution.run import RunOptions
from bot.execution.supervisor import EXIT_NEEDS_OPERATOR, EXIT_OK, Ending
from hedgesim import SimConfig, SimExchange, running_sim
from hedgesim.keys import KeyPermissions as SimKey
from tests.e2e.crash_rig import write_config
from tests.e2e.harness import running_bot
from tests.support.bot_process import hedgebot

pytestmark = pytest.mark.e2e
D = Decimal
BALANCES = {"USDT": D(40000), "SOL": D(100)}
UNATTENDED = RunOptions(cycles=1, unattended=True)


async def test_start_when_unattended_and_the_key_can_withdraw_then_refused_exit_4_before_any_order(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, balances=BALANCES, start_loop=False) as bot:
        bot.engine.set_key(SimKey.parse("trade,withdraw"))
        end = await bot.supervised(UNATTENDED)
        assert (end.code, end.ending) == (EXIT_NEEDS_OPERATOR, Ending.REFUSED)
        assert "main: the API key can withdraw" in end.detail
        assert "make a trade-only key" in end.detail
        assert not bot.engine.venue.orders.open_orders()
        assert [e.kind for e in bot.journal.errors()] == ["PreflightError"]


async def test_start_when_the_key_is_refused_then_the_venue_saw_no_write_request_only_reads(tmp_path: Path) -> None:
    configured = {"SOL": {"instrument": "SOL/USDT:USDT"}}  # set up (leverage, margin mode) by the preflight
    async with running_bot(tmp_path, balances=BALANCES, start_loop=False, hedges=configured) as bot:
        bot.engine.set_key(SimKey.parse("trade,withdraw"))
        end = await bot.supervised(UNATTENDED)
        assert end.code == EXIT_NEEDS_OPERATOR
        seen = {(r.method, r.path) for r in bot.sim.requests}
        assert ("GET", "/v5/user/query-api") in seen  # the key was read...
        assert {path for method, path in seen if method != "GET"} == set()  # ...before anything was written


async def test_start_when_the_key_can_withdraw_and_allow_withdrawal_key_then_it_trades(tmp_path: Path) -> None:
    async with running_bot(tmp_path, balances=BALANCES, start_loop=False, venue={"allow_withdrawal_key": True}) as bot:
        bot.engine.set_key(SimKey.parse("trade,transfer,withdraw"))
        end = await bot.supervised(UNATTENDED)
        assert (end.code, end.ending) == (EXIT_OK, Ending.DONE)
        assert bot.engine.venue.orders.open_orders()  # the first cycle's hedge orders rest


async def test_start_when_a_person_approves_each_order_then_a_withdraw_capable_key_is_not_refused(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, balances=BALANCES, start_loop=False) as bot:
        bot.engine.set_key(SimKey.parse("trade,withdraw"))
        end = await bot.supervised(RunOptions(cycles=1, unattended=False))
        assert (end.code, end.ending) == (EXIT_OK, Ending.DONE)


@pytest.mark.slow
async def test_hedgebot_run_when_approve_auto_and_the_key_can_withdraw_then_exit_4_saying_how_to_fix_it(
    tmp_path: Path,
) -> None:
    config = SimConfig(balances=dict(BALANCES), rate_limits=False, key=SimKey.parse("trade,withdraw"))
    engine = SimExchange.realtime(config)
    async with running_sim(engine=engine) as sim:
        code, printed = await hedgebot(
            ["run", "--once", "--approve", "auto", "--config", str(write_config(tmp_path, sim.url))],
            tmp_path / "bot.log",
        )
        posts = [r.path for r in sim.requests if r.path == "/v5/order/create"]
    assert code == EXIT_NEEDS_OPERATOR, printed
    assert "refusing to trade: main: the API key can withdraw" in printed
    assert "allow_withdrawal_key = true under [venues.main]" in printed
    assert posts == []
