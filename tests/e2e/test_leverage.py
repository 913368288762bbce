"""End to end: a leverage change made outside the bot (the venue's web app, through the simulator's control API)
is noticed from the cycle's positions and set back before any order, or the bot halts when it cannot be."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.domain import TradingState
from bot.risk.state import Trigger
from tests.e2e.harness import SOL, Harness, running_bot

pytestmark = pytest.mark.e2e
D = Decimal
BALANCES = {"USDT": D(40000), "SOL": D(100)}


async def from_outside(bot: Harness, path: str, body: dict[str, Any]) -> None:
    """Someone else acts on the account (POST /__sim/account/...)."""
    url = f"{bot.sim.url}/__sim/account/{path}"
    async with aiohttp.ClientSession() as session, session.post(url, json=body, headers=bot.sim.control_headers) as r:
        assert r.status == 200, await r.text()


async def test_leverage_when_changed_outside_to_5x_then_set_back_to_1x_before_the_next_order_and_journaled(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, balances=BALANCES) as bot:
        await bot.cycles(4)
        assert bot.position() <= -95
        await from_outside(bot, "leverage", {"symbol": "SOLUSDT", "leverage": "5"})
        assert bot.leverage() == 5
        await from_outside(bot, "deposit", {"coin": "SOL", "qty": "50"})  # more to hedge: the bot sells again
        seen = len(bot.sim.requests)
        outcome = await bot.cycle()
        assert bot.leverage() == 1
        paths = [r.path for r in bot.sim.requests[seen:] if r.method == "POST"]
        assert "/v5/order/create" in paths
        assert paths.index("/v5/position/set-leverage") < paths.index("/v5/order/create")  # set back first
        assert outcome.placed >= 1
        assert bot.run.risk_state.trading is TradingState.ACTIVE
        (row,) = bot.journal.errors(kind="leverage_changed")
        assert row.symbol == SOL
        assert "the leverage was 5.0x, set outside hedgebot; set back to 1x" in row.message


async def test_leverage_when_changed_outside_and_it_cannot_be_set_back_then_halted_and_our_orders_cancelled(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, balances=BALANCES) as bot:
        await bot.cycles(4)
        position = bot.position()
        await from_outside(bot, "leverage", {"symbol": "SOLUSDT", "leverage": "5"})
        await from_outside(bot, "withdraw", {"coin": "USDT", "qty": "30000"})  # the margin 1x would need is gone
        await from_outside(bot, "deposit", {"coin": "SOL", "qty": "50"})
        outcome = await bot.cycle()
        assert outcome.state is TradingState.HALTED
        assert bot.leverage() == 5
        assert bot.position() == position  # positions are kept...
        assert not bot.engine.venue.orders.open_orders()  # ...our resting orders cancelled, nothing new sent
        state = bot.journal.latest_risk_state()
        assert state is not None
        assert (state.trading, state.cause) == (TradingState.HALTED, Trigger.LEVERAGE_CHANGED)
        assert "cannot be set back" in state.detail
        (row,) = bot.journal.errors(kind="leverage_changed")
        assert row.message == state.detail
