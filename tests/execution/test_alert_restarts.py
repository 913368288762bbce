"""Specification of alerts across restarts: the conditions alerted and not cleared are in the journal, so a restart
during an ongoing condition does not alert it again, and one that ended while the bot was down is cleared (with its
message, where it has one: venue reachable, resumed) rather than held back for ever."""

from __future__ import annotations

import tomllib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from bot.alerts import events
from bot.alerts.events import AlertKind
from bot.alerts.notifier import Notifier
from bot.clock import ManualClock
from bot.config import parse_config
from bot.domain import TradingState
from bot.execution.alerting import RunAlerts
from bot.journal.writer import Journal
from bot.settings.from_config import settings_for
from tests.alerts.factories import NOON, fast_policy, settings, sol_liquidation_close
from tests.alerts.test_notifier import RecordingSender, until
from tests.core.test_status import plan_for, sol_venue
from tests.execution.test_alerting import VENUE, rejected
from tests.journal.factories import new_journal


@asynccontextmanager
async def process(journal: Journal, sender: RecordingSender) -> AsyncIterator[tuple[Notifier, RunAlerts]]:
    """One process of the bot: its notifier (its open conditions kept in ``journal``) and its run's alerts."""
    configured = settings(sender.destination)
    run = settings_for(parse_config(tomllib.loads(VENUE), env={}), "main")
    async with Notifier(configured, [sender], fast_policy(), conditions=journal) as notifier:
        yield notifier, RunAlerts(notifier, configured, run, journal, ManualClock(NOON))


async def test_notifier_when_restarted_during_an_ongoing_condition_then_it_is_not_alerted_again(
    tmp_path: Path,
) -> None:
    journal, _, _ = new_journal(tmp_path)
    sender = RecordingSender()
    async with process(journal, sender) as (notifier, _):
        notifier.notify(sol_liquidation_close())
    async with process(journal, sender) as (notifier, _):
        notifier.notify(sol_liquidation_close())  # still close to liquidation after the restart
        assert notifier.active() == {"liquidation_distance:SOL/USDT:USDT"}
        notifier.clear("liquidation_distance:SOL/USDT:USDT")
    async with process(journal, sender) as (notifier, _):
        notifier.notify(sol_liquidation_close())  # cleared before this restart: a new occurrence
    assert [e.kind for e in sender.sent] == [AlertKind.LIQUIDATION_DISTANCE_LOW] * 2


async def test_run_alerts_when_the_venue_came_back_while_the_bot_was_down_then_venue_reachable_at_start(
    tmp_path: Path,
) -> None:
    journal, _, _ = new_journal(tmp_path)
    sender = RecordingSender()
    async with process(journal, sender) as (_, alerts):
        alerts.notify(events.venue_unreachable("main", NOON - timedelta(minutes=6), "503", at=NOON))
    async with process(journal, sender) as (_, alerts):
        alerts.restarted(TradingState.ACTIVE)  # the start-up read the venue
        await until(lambda: len(sender.sent) == 2)
    assert [e.kind for e in sender.sent] == [AlertKind.VENUE_UNREACHABLE, AlertKind.VENUE_REACHABLE]
    assert journal.open_alert_conditions()[0].key == "venue_reachable:main"  # the outage's condition closed


async def test_run_alerts_when_a_halt_was_lifted_while_down_then_resumed_and_an_ongoing_halt_is_not_repeated(
    tmp_path: Path,
) -> None:
    journal, _, _ = new_journal(tmp_path)
    sender = RecordingSender()
    async with process(journal, sender) as (_, alerts):
        alerts.notify(events.halted("kill_switch: file present", at=NOON))
    async with process(journal, sender) as (_, alerts):
        alerts.restarted(TradingState.HALTED)  # still halted: nothing new to say
        alerts.notify(events.halted("kill_switch: file present", at=NOON))
    async with process(journal, sender) as (_, alerts):
        alerts.restarted(TradingState.ACTIVE)
    assert [e.kind for e in sender.sent] == [AlertKind.HALTED, AlertKind.RESUMED]


async def test_run_alerts_when_a_cycle_condition_ended_while_down_then_cleared_by_the_first_cycle_and_alerts_again(
    tmp_path: Path,
) -> None:
    journal, _, _ = new_journal(tmp_path)
    sender = RecordingSender()
    venue = sol_venue()
    plan = plan_for(venue)
    async with process(journal, sender) as (_, alerts):
        for _ in range(3):
            alerts.cycle(venue, plan, [], [rejected()])  # three rejections in a row: alerted
    async with process(journal, sender) as (_, alerts):
        alerts.restarted(TradingState.ACTIVE)
        alerts.cycle(venue, plan, [], [])  # a new process has seen no rejection: the condition no longer holds
        assert journal.open_alert_conditions() == []
        for _ in range(3):
            alerts.cycle(venue, plan, [], [rejected()])
    assert [e.kind for e in sender.sent] == [AlertKind.ORDERS_REJECTED_REPEATEDLY] * 2
