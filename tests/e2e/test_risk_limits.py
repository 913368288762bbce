"""End to end: each risk limit blocks an order in the running loop, nothing is sent, and the journal says why.

The planner itself keeps orders within max order notional (slicing) and the max hedge ratio (capping), so for
those limits a planner wrapper inflates its intents: the gate, not the planner, is what must stop them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.core.cycle import CoreState, plan_cycle
from bot.core.plan import Plan
from bot.domain import ReasonCode, Snapshot, round_price_passive
from bot.errors import PreflightError
from bot.execution.run import PlanFunction, RunOptions
from bot.settings import CoreSettings
from tests.e2e.harness import running_bot

pytestmark = pytest.mark.e2e
D = Decimal
FUNDED = {"USDT": D(60000), "SOL": D(100)}
THIN = {"USDT": D(15000), "SOL": D(100)}  # left after start-up: the preflight's margin check passed on 60000
NEAR = {"USDT": D(24500), "SOL": D(100)}  # sells of 100 SOL at about 229 hold 22936 at 1x (fees in): 1564 free


def inflate(amount: str = "1", price: str = "1") -> PlanFunction:
    """The real planner, with every intent's amount and price scaled (price kept on the tick)."""

    def planner(settings: CoreSettings, snapshot: Snapshot, state: CoreState, now: datetime) -> tuple[Plan, CoreState]:
        plan, next_state = plan_cycle(settings, snapshot, state, now)
        instruments = []
        for decision in plan.instruments:
            tick = snapshot.markets[decision.symbol].tick_size
            intents = tuple(
                replace(
                    i,
                    amount=i.amount * D(amount),
                    price=round_price_passive(i.price * D(price), tick, i.side),
                )
                for i in decision.intents
            )
            instruments.append(replace(decision, intents=intents))
        return replace(plan, instruments=tuple(instruments)), next_state

    return planner


CASES: list[Any] = [
    pytest.param({"max_order_notional": 5000}, inflate(amount="3"), FUNDED, "risk.max_order_notional", id="order"),
    pytest.param({"max_total_hedge_notional": 5000}, None, FUNDED, "risk.max_total_hedge_notional", id="total"),
    pytest.param({}, inflate(amount="2"), FUNDED, "risk.max_hedge_ratio", id="hedge ratio"),
    pytest.param({"max_orders_per_minute": 3}, None, FUNDED, "risk.max_orders_per_minute", id="rate"),
    pytest.param({}, inflate(price="1.02"), FUNDED, "risk.max_price_deviation_bps", id="price vs mark"),
    pytest.param({"min_liquidation_distance": "0.99"}, None, FUNDED, "risk.min_liquidation_distance", id="liq"),
    pytest.param({"max_daily_turnover": 1000}, None, FUNDED, "risk.max_daily_turnover", id="turnover"),
    pytest.param({"max_leverage": 1}, None, THIN, "risk.max_leverage", id="account leverage"),
    pytest.param({}, None, THIN, "collateral", id="initial margin"),
]


@pytest.mark.parametrize(("risk", "planner", "balances", "named"), CASES)
async def test_limit_when_an_order_would_break_it_then_denied_and_journaled(
    tmp_path: Path, risk: Mapping[str, Any], planner: PlanFunction | None, balances: Mapping[str, Decimal], named: str
) -> None:
    async with running_bot(tmp_path, balances=FUNDED, planner=planner, risk=risk) as bot:
        if balances["USDT"] < FUNDED["USDT"]:
            bot.engine.withdraw("USDT", FUNDED["USDT"] - balances["USDT"])
        outcome = await bot.cycle()
        assert outcome.denied >= 1
        (latest,) = bot.journal.why("SOL", limit=1)
        assert any(named in denial for denial in latest.denials), latest.denials
        orders = bot.journal.orders(limit=1000)
        assert len({o.intent_id for o in orders}) <= outcome.intents - outcome.denied  # denied: never sent
        assert {o.link_id for o in bot.engine.venue.orders} == {o.client_order_id for o in orders}
        if outcome.intents == outcome.denied:
            assert latest.decision.reason is ReasonCode.BLOCKED_BY_LIMIT


async def test_start_when_the_margin_wallet_cannot_cover_the_targets_then_refused_saying_how_much_to_deposit(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, balances=THIN, start_loop=False) as bot:
        with pytest.raises(PreflightError, match=r"deposit 7\d{3}\.\d+ USDT"):
            await bot.start(RunOptions())
        assert not list(bot.engine.venue.orders)


async def test_restart_when_our_resting_sells_hold_most_of_the_margin_then_it_starts_and_trades(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, balances=NEAR) as bot:
        await bot.pipeline.run_cycle()  # sells for all 100 SOL rest at the ask (time stands still: none fills)
        assert sum(o.leaves_qty for o in bot.engine.venue.orders.open_orders(symbol="SOLUSDT")) == 100
        assert (await bot.port.fetch_margin_balances())["USDT"].free < 2000  # the whole target needs over 20000
        bot.engine.deposit("SOL", D(5))
        again = bot.restart("again1")  # the process restarts; its resting sells already hold their margin
        await again.start(RunOptions())
        outcome = await again.pipeline.run_cycle()
        assert outcome.placed == 1
        assert sum(o.leaves_qty for o in bot.engine.venue.orders.open_orders(symbol="SOLUSDT")) == 105


async def test_stale_market_data_when_prices_frozen_then_no_order_and_the_reason_journaled(tmp_path: Path) -> None:
    async with running_bot(tmp_path, balances=FUNDED) as bot:
        bot.engine.freeze("SOL")
        bot.sim.advance(timedelta(seconds=60))  # risk.max_data_age is 15 s
        outcome = await bot.cycle()
        assert outcome.intents == 0
        (latest,) = bot.journal.why("SOL", limit=1)
        assert latest.decision.reason in (ReasonCode.STALE_PRICE, ReasonCode.NO_BOOK)
        assert not list(bot.engine.venue.orders)


async def test_daily_funding_when_the_short_paid_beyond_the_limit_then_increases_denied_and_reducing(
    tmp_path: Path,
) -> None:
    # 10 Oct 2025, 23:00 UTC: SOL's funding at 00:00 was -0.30 % per 8 h: the short pays.
    start = datetime(2025, 10, 10, 23, 0, tzinfo=UTC)
    async with running_bot(tmp_path, balances=FUNDED, start=start, risk={"max_daily_funding_cost": 10}) as bot:
        await bot.cycles(8)  # the market is falling: sells at the ask wait and are re-priced
        assert bot.position() <= -95
        bot.sim.advance(timedelta(hours=1, minutes=5))  # the 00:00 settlement
        bot.engine.deposit("SOL", D(50))
        outcome = await bot.cycle()
        assert bot.journal.funding_cost_since(datetime(2025, 10, 11, tzinfo=UTC)) > 10
        assert outcome.state.value == "reducing"
        (latest,) = bot.journal.why("SOL", limit=1)
        assert any("REDUCING" in d or "risk.max_daily_funding_cost" in d for d in latest.denials), latest.denials
        assert bot.position() >= -100  # no increase went out
