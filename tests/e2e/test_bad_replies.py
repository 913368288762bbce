"""End to end with malformed venue replies (a broken proxy between ccxt and the simulator): never a halt, never a
doubled or shrunk hedge, never a malformed fill in the journal; what the bad data touches is held, and says why.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.domain import ReasonCode, Side, TradingState
from bot.exchange.ccxt_adapter import CcxtExchange
from tests.e2e.harness import SOL, Harness, running_bot
from tests.e2e.tamper import Tamper, coins, rows

pytestmark = pytest.mark.e2e
D = Decimal
HELD = 100  # SOL in the wallet; at ratio 1 the hedge is a short of up to 100 SOL, within the 5% band below it


@asynccontextmanager
async def tampered_bot(tmp_path: Path) -> AsyncIterator[tuple[Harness, Tamper]]:
    async with running_bot(tmp_path, balances={"USDT": D(40000), "SOL": D(HELD)}) as bot:
        assert isinstance(bot.port, CcxtExchange)
        yield bot, Tamper(bot.port)


async def hedged(bot: Harness) -> Decimal:
    """Cycles until the hedge is built (the replayed market fills our resting sells) and a cycle has seen it;
    the position."""
    for _ in range(20):
        await bot.cycle()
        if latest_reason(bot)[0] is ReasonCode.HEDGED_WITHIN_BAND:
            assert -HELD <= bot.position() <= -HELD * D("0.95")
            return bot.position()
    raise AssertionError(f"the hedge was not built: position {bot.position()}")


def latest_reason(bot: Harness, key: str = SOL) -> tuple[ReasonCode, str]:
    row = bot.journal.why(key, limit=1)[0].decision
    return row.reason, row.note


def set_field(field: str, value: Any) -> Callable[[Any], None]:
    def edit(reply: Any) -> None:
        for row in rows(reply):
            if field in row:
                row[field] = value

    return edit


def set_level(side: str, column: int, value: Any) -> Callable[[Any], None]:
    def edit(reply: Any) -> None:
        reply["result"][side][0][column] = value

    return edit


@pytest.mark.parametrize(
    ("path", "edit", "reason"),
    [
        ("/v5/market/tickers", set_field("markPrice", "NaN"), ReasonCode.NO_BOOK),
        ("/v5/market/tickers", set_field("markPrice", "Infinity"), ReasonCode.NO_BOOK),
        ("/v5/market/tickers", set_field("markPrice", "0"), ReasonCode.NO_BOOK),
        ("/v5/market/orderbook", set_level("b", 0, "NaN"), ReasonCode.BAD_DATA),
        ("/v5/market/orderbook", set_level("a", 0, "Infinity"), ReasonCode.BAD_DATA),
        ("/v5/market/orderbook", set_level("a", 1, "0"), ReasonCode.BAD_DATA),
    ],
    ids=["mark-nan", "mark-infinity", "mark-zero", "bid-nan", "ask-infinity", "ask-size-zero"],
)
async def test_cycle_when_a_price_reply_is_malformed_then_that_instrument_is_held_with_a_reason_and_never_halted(
    tmp_path: Path, path: str, edit: Callable[[Any], None], reason: ReasonCode
) -> None:
    async with tampered_bot(tmp_path) as (bot, tamper):
        tamper.edit(path, edit, when=lambda url: "category=spot" not in url)  # the perpetual's replies
        held = await bot.cycle(wait=timedelta(0))
        tamper.clear()
        assert tamper.applied >= 1
        assert (held.state, held.placed, held.intents) == (TradingState.ACTIVE, 0, 0)
        assert latest_reason(bot)[0] is reason
        assert bot.journal.latest_risk_state() is None  # no state change was ever journaled: never halted
        assert (await bot.cycle()).placed >= 1  # the next, clean, reply is traded on


async def test_cycle_when_the_wallet_reply_lost_its_coins_then_skipped_and_the_hedge_kept(tmp_path: Path) -> None:
    async with tampered_bot(tmp_path) as (bot, tamper):
        position = await hedged(bot)
        orders = len(bot.journal.orders(limit=1000))
        tamper.edit("/v5/account/wallet-balance", lambda reply: reply["result"]["list"][0].pop("coin"), times=2)
        for _ in range(2):
            skipped = await bot.cycle()
            assert "lists no coin" in (skipped.skipped_because or "")
            assert skipped.state is TradingState.ACTIVE
        assert bot.position() == position  # not unwound: nothing was sent at all
        assert len(bot.journal.orders(limit=1000)) == orders
        assert [e.kind for e in bot.journal.errors(limit=2)] == [ReasonCode.BAD_DATA.value] * 2
        assert (await bot.cycle()).skipped_because is None
        assert latest_reason(bot)[0] is ReasonCode.HEDGED_WITHIN_BAND


async def test_cycle_when_a_hedged_coin_vanishes_from_the_wallet_reply_then_its_hedge_is_kept_and_says_why(
    tmp_path: Path,
) -> None:
    async with tampered_bot(tmp_path) as (bot, tamper):
        position = await hedged(bot)
        orders = len(bot.journal.orders(limit=1000))

        tamper.edit("/v5/account/wallet-balance", unnamed_sol)
        for _ in range(3):
            outcome = await bot.cycle()
            assert (outcome.state, outcome.intents, outcome.cancels) == (TradingState.ACTIVE, 0, 0)
            reason, note = latest_reason(bot)
            assert (reason, "SOL in the main wallet, hedged until now, is missing" in note) == (
                ReasonCode.BAD_DATA,
                True,
            )
        assert bot.position() == position
        assert len(bot.journal.orders(limit=1000)) == orders
        tamper.clear()
        await bot.cycle()
        assert latest_reason(bot)[0] is ReasonCode.HEDGED_WITHIN_BAND


async def test_cycle_when_a_hedged_coin_stays_missing_for_the_confirmation_window_then_across_a_restart_the_hedge_follows(
    tmp_path: Path,
) -> None:
    async with tampered_bot(tmp_path) as (bot, tamper):
        position = await hedged(bot)
        tamper.edit("/v5/account/wallet-balance", unnamed_sol)  # SOL sold, or a reply that lost its row
        assert (await bot.cycle(wait=timedelta(minutes=10))).intents == 0  # held: holdings.vanished_confirm = 30m
        bot.restart("e2erst")  # the window goes on from its start in the journal, not from the restart
        await bot.start()
        assert (await bot.cycle(wait=timedelta(minutes=21))).intents == 0
        assert latest_reason(bot)[0] is ReasonCode.BAD_DATA
        assert bot.position() == position
        outcome = await bot.cycle()  # 31 minutes after SOL went missing: it counts as gone
        assert outcome.intents >= 1
        newest = bot.journal.orders(limit=1)[0]
        assert (newest.side, newest.reduce_only) == (Side.BUY, True)  # the hedge follows the wallet: bought back


def unnamed_sol(reply: Any) -> None:
    """ccxt drops a coin row without its name: the wallet reads as holding no SOL."""
    next(row for row in coins(reply) if row["coin"] == "SOL")["coin"] = None


@pytest.mark.parametrize(
    ("field", "value"),
    [("execQty", "NaN"), ("execQty", "-1"), ("execQty", "0"), ("execId", None), ("execPrice", "Infinity")],
    ids=["amount-nan", "amount-negative", "amount-zero", "no-id", "price-infinity"],
)
async def test_sync_when_a_fill_is_malformed_then_nothing_is_journaled_and_the_instrument_held_until_it_reads(
    tmp_path: Path, field: str, value: Any
) -> None:
    async with tampered_bot(tmp_path) as (bot, tamper):
        tamper.edit("/v5/execution/list", set_field(field, value))
        for _ in range(6):  # our sells rest and fill as the market trades through them
            outcome = await bot.cycle()
            assert outcome.state is TradingState.ACTIVE
        assert bot.position() < 0  # some filled at the venue...
        assert bot.journal.fills(limit=1000) == []  # ...and no malformed fill was ever written
        reason, note = latest_reason(bot)
        assert (reason, "fills or funding could not be read" in note) == (ReasonCode.BAD_DATA, True)
        assert (await bot.cycle()).intents == 0  # nothing is traded on while its fills cannot be read
        tamper.clear()
        await hedged(bot)
        assert sum(f.fill.side.sign * f.fill.amount for f in bot.journal.fills(limit=1000)) == bot.position()


async def test_cycle_when_the_listing_omits_our_resting_order_then_it_still_counts_and_nothing_is_sent_twice(
    tmp_path: Path,
) -> None:
    async with tampered_bot(tmp_path) as (bot, tamper):
        first = await bot.cycle(wait=timedelta(0))  # our sells rest; no time passes, so none fills
        assert first.placed >= 1
        resting = bot.engine.venue.orders.open_orders()

        def without_rows(reply: Any) -> None:
            reply["result"]["list"] = []

        # the open-orders listing omits them; looking one up by its client id does not find it either
        tamper.edit("/v5/order/*", without_rows)
        for _ in range(3):
            outcome = await bot.cycle(wait=timedelta(0))
            assert (outcome.state, outcome.placed) == (TradingState.ACTIVE, 0)
            assert SOL in bot.run.executor.frozen
        assert bot.engine.venue.orders.open_orders() == resting  # never placed again
        tamper.clear()
        await bot.cycle(wait=timedelta(0))
        assert SOL not in bot.run.executor.frozen


async def test_cycle_when_the_positions_reply_lost_its_rows_then_not_hedged_twice(tmp_path: Path) -> None:
    async with tampered_bot(tmp_path) as (bot, tamper):
        position = await hedged(bot)
        tamper.edit("/v5/position/list", lambda reply: rows(reply).clear())
        for _ in range(3):
            outcome = await bot.cycle()
            assert (outcome.state, outcome.intents) == (TradingState.ACTIVE, 0)
            reason, note = latest_reason(bot)
            assert (reason, "the journal explains" in note) == (ReasonCode.BAD_DATA, True)
        assert bot.position() == position
        tamper.clear()
        await bot.cycle()
        assert latest_reason(bot)[0] is ReasonCode.HEDGED_WITHIN_BAND
