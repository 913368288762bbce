"""End to end: the error policy the CLI runs under, on the harness: however a run ends, it ends clean."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from bot.core.cycle import CoreState, plan_cycle
from bot.core.plan import Plan
from bot.domain import Snapshot, TradingState
from bot.errors import DataError
from bot.execution.run import RunOptions
from bot.execution.supervisor import EXIT_FAILED, EXIT_HALTED, EXIT_NEEDS_OPERATOR, EXIT_OK, Ending
from bot.risk.state import Trigger
from bot.settings import CoreSettings
from tests.e2e.harness import running_bot

pytestmark = pytest.mark.e2e
D = Decimal
FAST = {"interval": "0.01s"}  # the pause between cycles, in real time (the market's clock stands still)


class CrashesOnCall:
    """The policy's planner, until its ``call``-th call (start-up's margin check is the first) raises ``error``."""

    def __init__(self, call: int, error: Exception) -> None:
        self.call = call
        self.error = error
        self.calls = 0

    def __call__(
        self, settings: CoreSettings, snapshot: Snapshot, state: CoreState, now: datetime
    ) -> tuple[Plan, CoreState]:
        self.calls += 1
        if self.calls == self.call:
            raise self.error
        return plan_cycle(settings, snapshot, state, now)


async def test_supervised_run_when_its_cycles_are_done_then_exit_0_and_resting_orders_left_for_the_next_run(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, balances={"USDT": D(40000), "SOL": D(100)}, start_loop=False) as bot:
        end = await bot.supervised(RunOptions(cycles=1))
        assert (end.code, end.ending) == (EXIT_OK, Ending.DONE)
        assert bot.engine.venue.orders.open_orders()  # a finished run keeps its orders resting
        assert bot.journal.latest_risk_state() is None  # nothing changed the trading state


async def test_supervised_run_when_the_kill_switch_fires_then_exit_3_halted_and_our_orders_cancelled(
    tmp_path: Path,
) -> None:
    async with running_bot(
        tmp_path, balances={"USDT": D(40000), "SOL": D(100)}, start_loop=False, execution=FAST
    ) as bot:
        bot.pipeline.on_cycle = lambda _: (tmp_path / "hedgebot.halt").write_text("stop\n")
        end = await bot.supervised(RunOptions(cycles=5))
        assert (end.code, end.ending) == (EXIT_HALTED, Ending.HALTED)
        assert "kill-switch file" in end.detail
        assert not bot.engine.venue.orders.open_orders()
        state = bot.journal.latest_risk_state()
        assert state is not None
        assert (state.trading, state.cause) == (TradingState.HALTED, Trigger.KILL_SWITCH)


@pytest.mark.parametrize(
    ("error", "reraised"),
    [(DataError("no plan this time"), False), (RuntimeError("a bug"), True)],
    ids=["one of ours: exit 1", "anything else: re-raised"],
)
async def test_supervised_run_when_a_cycle_crashes_then_halted_our_orders_cancelled_and_exit_1(
    tmp_path: Path, error: Exception, reraised: bool
) -> None:
    crashes = CrashesOnCall(3, error)  # start-up, the first cycle (orders placed), then the second cycle
    async with running_bot(
        tmp_path, balances={"USDT": D(40000), "SOL": D(100)}, start_loop=False, planner=crashes, execution=FAST
    ) as bot:
        if reraised:
            with pytest.raises(type(error)):
                await bot.supervised(RunOptions(cycles=5))
        else:
            end = await bot.supervised(RunOptions(cycles=5))
            assert (end.code, end.ending, end.detail) == (EXIT_FAILED, Ending.CRASHED, str(error))
        assert crashes.calls == 3
        assert not bot.engine.venue.orders.open_orders()  # the first cycle's orders, cancelled
        state = bot.journal.latest_risk_state()
        assert state is not None
        assert (state.trading, state.cause) == (TradingState.HALTED, Trigger.FATAL_ERROR)
        assert [e.kind for e in bot.journal.errors()] == [type(error).__name__]


async def test_supervised_run_when_the_venue_is_unreachable_at_start_then_exit_1_to_restart_later(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, balances={"USDT": D(40000), "SOL": D(100)}, start_loop=False) as bot:
        bot.sim.fault("maintenance")
        end = await bot.supervised(RunOptions(cycles=1))
        assert (end.code, end.ending) == (EXIT_FAILED, Ending.REFUSED)
        assert "cannot read the account" in end.detail
        assert bot.journal.latest_risk_state() is None  # refused, not halted: a restart may pass


async def test_supervised_run_when_the_margin_is_too_thin_then_exit_4_a_person_must_deposit(tmp_path: Path) -> None:
    async with running_bot(tmp_path, balances={"USDT": D(50), "SOL": D(1000)}, start_loop=False) as bot:
        end = await bot.supervised(RunOptions(cycles=1))
        assert (end.code, end.ending) == (EXIT_NEEDS_OPERATOR, Ending.REFUSED)
        assert "deposit" in end.detail
        assert not bot.engine.venue.orders.open_orders()
