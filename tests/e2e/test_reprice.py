"""End to end: re-pricing in a moving market, at ratio 1 with risk.max_hedge_ratio 1 (no room above the hedge)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.core.cycle import CoreState, plan_cycle
from bot.core.plan import Plan
from bot.domain import ReasonCode, Snapshot
from bot.settings import CoreSettings
from hedgesim import SimExchange
from hedgesim.enums import Side as VenueSide
from tests.e2e.harness import running_bot

pytestmark = pytest.mark.e2e
D = Decimal


class RunsUpWhileDeciding:
    """The real planner; when it re-prices, the market jumps up before the orders go out (as it does while a
    real bot decides), so the replacements at the planned ask would take liquidity and are re-priced again."""

    def __init__(self, move: Decimal) -> None:
        self.move = move
        self.engine: SimExchange | None = None

    def __call__(
        self, settings: CoreSettings, snapshot: Snapshot, state: CoreState, now: datetime
    ) -> tuple[Plan, CoreState]:
        plan, next_state = plan_cycle(settings, snapshot, state, now)
        if self.engine is not None and any(i.reason is ReasonCode.REPRICE for i in plan.intents):
            self.engine.gap("SOL", self.move)
        return plan, next_state


async def test_reprice_when_the_market_moves_at_ratio_1_and_max_hedge_ratio_1_then_replacements_rest(
    tmp_path: Path,
) -> None:
    market = RunsUpWhileDeciding(D("0.004"))
    async with running_bot(
        tmp_path, balances={"USDT": D(40000), "SOL": D(100)}, planner=market, risk={"max_hedge_ratio": 1}
    ) as bot:
        market.engine = bot.engine
        await bot.cycle(wait=timedelta(seconds=1))  # 100 contracts of sells resting at the ask, none filled yet
        bot.engine.gap("SOL", D("-0.01"))  # the market falls away from them: each is re-priced next cycle
        outcome = await bot.cycle(wait=timedelta(seconds=1))
        assert outcome.cancels == 6  # max_reprices_per_minute
        assert (outcome.placed, outcome.denied, outcome.skipped) == (6, 0, 0)  # every replacement went out
        resting = [o for o in bot.engine.venue.orders.open_orders() if o.side is VenueSide.SELL]
        assert len(resting) == 12
        assert sum((o.leaves_qty for o in resting), D(0)) - bot.position() == 100  # the hedge, never above it
        (latest,) = bot.journal.why("SOL", limit=1)
        assert latest.denials == ()
