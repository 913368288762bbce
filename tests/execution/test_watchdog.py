"""Specification of `hedgebot watchdog` (bot.execution.watchdog), step by step on the simulator's manual clock: the
bot's resting orders are cancelled once its heartbeat is older than the window, never before; foreign orders and
positions stay; it is journaled and alerted once per silence; the heartbeat's return clears it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.alerts.events import AlertEvent, AlertKind
from bot.domain import OrderStatus
from bot.execution.run import RunOptions
from bot.execution.watchdog import Watchdog
from hedgesim.enums import MarginMode, Side
from hedgesim.instruments import Category
from hedgesim.orders import NewOrder, OrderType
from tests.e2e.harness import Harness, running_bot

pytestmark = pytest.mark.e2e
D = Decimal
WINDOW = timedelta(minutes=2)


@dataclass
class Alerts:
    sent: list[AlertEvent] = field(default_factory=list)
    cleared: list[str] = field(default_factory=list)


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Harness]:
    """A bot short 10 SOL (adopted) with its sells resting 30 ticks above the ask, a foreign sell resting far above,
    and one heartbeat journaled now."""
    async with running_bot(
        tmp_path,
        balances={"USDT": D(60000), "SOL": D(100)},
        start_loop=False,
        execution={"passive_offset_ticks": 30},
    ) as bot:
        bot.engine.set_margin_mode(MarginMode.ISOLATED)  # as configured: it cannot be switched under a position
        bot.engine.trade(Category.LINEAR, "SOLUSDT", "sell", D(10))  # a short opened by hand: adopted below
        await bot.start(RunOptions(adopt=True))
        await bot.pipeline.run_cycle()
        foreign = NewOrder(Category.LINEAR, "SOLUSDT", Side.SELL, OrderType.LIMIT, D(1), D(400), link_id="manual1")
        bot.engine.place_order(foreign)
        await bot.run.deadman.beat()
        yield bot


def watchdog(bot: Harness, alerts: Alerts) -> Watchdog:
    return Watchdog(
        bot.port,
        bot.config.journal.path,
        bot.engine.clock,
        window=WINDOW,
        configured=["SOL/USDT:USDT"],
        notify=alerts.sent.append,
        clear=alerts.cleared.append,
    )


def resting(bot: Harness) -> list[str]:
    return sorted(o.link_id or "" for o in bot.engine.venue.orders.open_orders())


async def test_check_when_the_heartbeat_is_within_the_window_then_nothing_is_touched(bot: Harness) -> None:
    alerts = Alerts()
    dog = watchdog(bot, alerts)
    before = resting(bot)
    assert len(before) > 1  # ours and the foreign one
    bot.sim.advance(WINDOW)  # exactly the window: not longer
    check = await dog.check()
    assert (check.fired, check.cancelled, check.silent) == (False, (), WINDOW)
    assert resting(bot) == before
    assert alerts.sent == []


async def test_check_when_the_heartbeat_is_older_than_the_window_then_ours_cancelled_foreign_and_position_stay(
    bot: Harness,
) -> None:
    alerts = Alerts()
    dog = watchdog(bot, alerts)
    ours = [cid for cid in resting(bot) if cid.startswith("hb")]
    assert ours
    bot.sim.advance(WINDOW + timedelta(seconds=1))
    check = await dog.check()
    assert check.fired
    assert sorted(check.cancelled) == ours
    assert resting(bot) == ["manual1"]  # the foreign order stays
    assert bot.position() == D(-10)  # and so does the position
    for cid in ours:  # journaled: the cancel request and the venue's answer
        order = bot.journal.order(cid)
        assert order is not None
        assert order.status is OrderStatus.CANCELED
        assert order.detail == "watchdog: no heartbeat for 121s"
    (fired,) = bot.journal.errors(kind="watchdog")
    assert fired.message == f"no heartbeat for 121s: {len(ours)} resting order(s) of ours cancelled"
    (alert,) = alerts.sent
    assert (alert.kind, alert.key) == (AlertKind.WATCHDOG_FIRED, "watchdog:main")


async def test_check_when_the_silence_lasts_then_one_alert_and_the_venue_swept_again_each_window(bot: Harness) -> None:
    alerts = Alerts()
    dog = watchdog(bot, alerts)
    bot.sim.advance(WINDOW + timedelta(seconds=1))
    await dog.check()
    requests = len(bot.sim.requests)
    bot.sim.advance(timedelta(seconds=30))
    assert (await dog.check()).fired
    assert len(bot.sim.requests) == requests  # within a window of the sweep: the venue is left alone
    late = NewOrder(Category.LINEAR, "SOLUSDT", Side.SELL, OrderType.LIMIT, D(1), D(300), link_id="hblate1x0")
    bot.engine.place_order(late)  # an order of ours that landed late
    bot.sim.advance(WINDOW)
    assert (await dog.check()).cancelled == ("hblate1x0",)
    assert len(alerts.sent) == 1  # one alert per silence
    assert len(bot.journal.errors(kind="watchdog")) == 1


async def test_check_when_the_heartbeat_comes_back_then_the_alert_condition_clears_and_it_watches_again(
    bot: Harness,
) -> None:
    alerts = Alerts()
    dog = watchdog(bot, alerts)
    bot.sim.advance(WINDOW + timedelta(seconds=1))
    await dog.check()
    await bot.run.deadman.beat()  # the bot is back
    check = await dog.check()
    assert (check.fired, alerts.cleared) == (False, ["watchdog:main"])
    bot.sim.advance(WINDOW + timedelta(seconds=1))
    assert (await dog.check()).fired  # a new silence fires again
    assert len(alerts.sent) == 2


async def test_check_when_the_watchdog_starts_after_the_bot_went_silent_then_the_bot_gets_a_whole_window(
    bot: Harness,
) -> None:
    bot.sim.advance(timedelta(hours=1))  # the last heartbeat is an hour old
    dog = watchdog(bot, Alerts())
    assert not (await dog.check()).fired
    bot.sim.advance(WINDOW + timedelta(seconds=1))
    assert (await dog.check()).fired
