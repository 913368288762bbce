"""Specification of the vanished-holdings guard (bot.execution.vanished): a hedged coin missing from its wallet's
reply keeps its hedge, alerted once, for holdings.vanished_confirm, then counts as gone; per asset and wallet, and
across restarts (the watch is in the journal)."""

from __future__ import annotations

import itertools
import sqlite3
import tomllib
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from bot.alerts.events import AlertKind
from bot.clock import ManualClock
from bot.config import parse_config
from bot.core.cycle import CoreState, plan_cycle
from bot.core.plan import Plan
from bot.domain import Holding, HoldingSource, Snapshot
from bot.execution.alerting import RunAlerts
from bot.execution.vanished import VanishedHoldings
from bot.journal.codec import ms
from bot.journal.records import HoldingWatch, WatchState
from bot.journal.writer import Journal
from bot.settings.from_config import core_settings, settings_for
from tests.core.test_bad_data import SOL, VENUE, sol_and_btc
from tests.execution.test_alerting import RecordingSink, ops
from tests.factories import NOW
from tests.journal.factories import new_journal

D = Decimal
CONFIRM = timedelta(minutes=30)
KEY = "holding_vanished:SOL:exchange:main"
_RUNS = itertools.count(1)


def sol_in(**wallets: str) -> tuple[Holding, ...]:
    """SOL held in each named venue's wallet (``main="10"``), or in a cold wallet (``static="40"``)."""
    return tuple(
        Holding(
            "SOL", D(quantity), HoldingSource.static("cold") if venue == "static" else HoldingSource.exchange(venue)
        )
        for venue, quantity in wallets.items()
    )


def reading(*holdings: Holding) -> Snapshot:
    return replace(sol_and_btc(), holdings=holdings)


def plan_for(*holdings: Holding) -> Plan:
    config = parse_config(tomllib.loads(VENUE + "[policy]\nratio = 1\n"), env={})
    plan, _ = plan_cycle(core_settings(config), reading(*holdings), CoreState(), NOW)
    decision = plan.holding("SOL")
    assert decision is not None
    assert decision.hedge.instrument == SOL
    return plan


HOLDINGS = '[holdings]\nvenues = ["main", "cold_cex"]\nvanished_confirm = "30m"\n'
COLD_CEX = '[venues.cold_cex]\nexchange = "bybit"\nmode = "sim"\nurl = "http://127.0.0.1:8766"\n'


def guard(journal: Journal, holdings: str = HOLDINGS) -> tuple[VanishedHoldings, RecordingSink]:
    """A run's guard over ``journal`` (what it watches read back from it) under the ``[holdings]`` given, its alerts
    on a recording sink."""
    sink = RecordingSink()
    run = settings_for(parse_config(tomllib.loads(VENUE + COLD_CEX + holdings), env={}), "main")
    alerts = RunAlerts(sink, ops(), run, journal, ManualClock(NOW))
    run_id = f"r{next(_RUNS)}run"  # a new run (process) each time
    journal.start_run(run_id, mode="sim", config_hash="c", version="v")
    return VanishedHoldings(journal, run_id, run.core.holdings, alerts), sink


def test_vanished_holdings_when_a_hedged_coin_vanishes_then_held_alerted_once_and_released_when_listed_again(
    tmp_path: Path,
) -> None:
    journal, _, _ = new_journal(tmp_path)
    watch, sink = guard(journal)
    assert watch.check(plan_for(*sol_in(main="100")), reading(*sol_in(main="100")), (), NOW) == {}
    held = watch.check(plan_for(*sol_in(main="100")), reading(), (), NOW + timedelta(minutes=1))
    assert list(held) == [SOL]
    assert "SOL in the main wallet, hedged until now, is missing from its reply" in held[SOL]
    assert "kept as it is until 2025-10-10 12:31:00 UTC" in held[SOL]
    assert list(watch.check(None, reading(), (), NOW + timedelta(minutes=2))) == [SOL]  # still: no plan lists SOL
    assert [(e.kind, e.key) for e in sink.sent] == [(AlertKind.HOLDING_VANISHED, KEY)]  # once, when it vanished
    assert watch.check(None, reading(*sol_in(main="100")), (), NOW + timedelta(minutes=3)) == {}  # listed again
    assert sink.cleared == [KEY]
    assert [w.state for w in journal.holding_watches()] == [WatchState.HEDGED]


def test_vanished_holdings_when_missing_for_the_confirmation_window_then_confirmed_in_the_journal_and_released(
    tmp_path: Path,
) -> None:
    journal, _, path = new_journal(tmp_path)
    watch, sink = guard(journal)
    watch.check(plan_for(*sol_in(main="100")), reading(*sol_in(main="100")), (), NOW)
    since = NOW + timedelta(minutes=1)
    assert list(watch.check(None, reading(), (), since)) == [SOL]
    assert list(watch.check(None, reading(), (), since + CONFIRM - timedelta(seconds=1))) == [SOL]
    assert watch.check(None, reading(), (), since + CONFIRM) == {}  # the hedge follows the wallet
    assert journal.holding_watches() == []  # confirmed gone: watched no more
    rows = sqlite3.connect(path).execute("SELECT state, since_ms FROM holding_watches ORDER BY watch_id").fetchall()
    assert rows == [("hedged", None), ("missing", ms(since)), ("confirmed", ms(since))]  # when it went missing
    assert sink.cleared == [KEY]
    assert watch.check(None, reading(), (), since + 2 * CONFIRM) == {}  # and never held again


def test_vanished_holdings_when_the_bot_restarts_during_the_window_then_it_goes_on_from_its_journaled_start(
    tmp_path: Path,
) -> None:
    journal, _, _ = new_journal(tmp_path)
    before, _ = guard(journal)
    before.check(plan_for(*sol_in(main="100")), reading(*sol_in(main="100")), (), NOW)
    before.check(None, reading(), (), NOW + timedelta(minutes=1))
    after, _ = guard(journal)  # a new process: what it watches comes from the journal
    held = after.check(None, reading(), (), NOW + timedelta(minutes=20))
    assert "missing from its reply since 2025-10-10 12:01:00 UTC" in held[SOL]  # not restarted at 12:20
    assert list(after.check(None, reading(), (), NOW + timedelta(minutes=30, seconds=59))) == [SOL]
    assert after.check(None, reading(), (), NOW + timedelta(minutes=31)) == {}  # not held forever either


def test_vanished_holdings_when_the_coin_vanished_while_the_bot_was_down_then_held_from_the_first_reading(
    tmp_path: Path,
) -> None:
    journal, _, _ = new_journal(tmp_path)
    before, _ = guard(journal)
    before.check(plan_for(*sol_in(main="100")), reading(*sol_in(main="100")), (), NOW)
    after, sink = guard(journal)
    restarted = NOW + timedelta(hours=5)
    held = after.check(None, reading(), (), restarted)  # the first cycle: no plan yet, the wallet not believed
    assert "missing from its reply since 2025-10-10 17:00:00 UTC" in held[SOL]
    assert [e.kind for e in sink.sent] == [AlertKind.HOLDING_VANISHED]
    assert after.check(None, reading(), (), restarted + CONFIRM) == {}


def test_vanished_holdings_when_a_coin_vanishes_from_one_of_two_wallets_then_held_though_the_other_lists_it(
    tmp_path: Path,
) -> None:
    journal, _, _ = new_journal(tmp_path)
    watch, sink = guard(journal)
    both = sol_in(main="10", cold_cex="5")
    watch.check(plan_for(*both), reading(*both), (), NOW)
    held = watch.check(plan_for(*both), reading(*sol_in(main="10")), (), NOW + timedelta(minutes=1))
    assert list(held) == [SOL]  # SOL is still listed (on main): the drop is not read as a sale
    assert "SOL in the cold_cex wallet, hedged until now, is missing" in held[SOL]
    assert [e.key for e in sink.sent] == ["holding_vanished:SOL:exchange:cold_cex"]
    main_only = sol_in(main="10")
    assert list(watch.check(plan_for(*main_only), reading(*main_only), (), NOW + timedelta(minutes=20))) == [SOL]
    assert watch.check(plan_for(*main_only), reading(*main_only), (), NOW + timedelta(minutes=31)) == {}
    assert journal.holding_watches() == [HoldingWatch("SOL", "exchange:main", WatchState.HEDGED, SOL)]


def test_vanished_holdings_when_the_coin_is_kept_off_the_exchange_too_then_the_wallet_part_still_counts(
    tmp_path: Path,
) -> None:
    journal, _, _ = new_journal(tmp_path)
    watch, _ = guard(journal)
    both = sol_in(main="100", static="40")
    watch.check(plan_for(*both), reading(*both), (), NOW)
    assert list(watch.check(plan_for(*both), reading(*sol_in(static="40")), (), NOW)) == [SOL]


def test_vanished_holdings_when_its_wallet_could_not_be_read_then_held_but_never_confirmed_on_an_old_reading(
    tmp_path: Path,
) -> None:
    journal, _, _ = new_journal(tmp_path)
    watch, _ = guard(journal)
    both = sol_in(main="10", cold_cex="5")
    watch.check(plan_for(*both), reading(*both), (), NOW)
    assert list(watch.check(None, reading(*sol_in(main="10")), (), NOW)) == [SOL]
    later = NOW + 2 * CONFIRM
    assert list(watch.check(None, reading(*sol_in(main="10")), ("cold_cex",), later)) == [SOL]  # not read: held
    assert watch.check(None, reading(*sol_in(main="10")), (), later) == {}  # read, still missing: confirmed


def test_vanished_holdings_when_the_plan_hedges_a_listed_coin_no_more_then_it_is_no_longer_watched(
    tmp_path: Path,
) -> None:
    journal, _, _ = new_journal(tmp_path)
    watch, _ = guard(journal)
    watch.check(plan_for(*sol_in(main="100")), reading(*sol_in(main="100")), (), NOW)
    unhedged = replace(plan_for(*sol_in(main="100")), holdings=())  # e.g. SOL excluded since
    watch.check(unhedged, reading(*sol_in(main="100")), (), NOW)
    assert journal.holding_watches() == []
    assert watch.check(None, reading(), (), NOW) == {}  # then gone: nothing of ours to hold


def test_vanished_holdings_when_the_coin_is_excluded_after_a_restart_then_released_not_held_as_missing(
    tmp_path: Path,
) -> None:
    journal, _, _ = new_journal(tmp_path)
    before, _ = guard(journal)
    before.check(plan_for(*sol_in(main="100")), reading(*sol_in(main="100")), (), NOW)
    after, sink = guard(journal, HOLDINGS + 'exclude = ["USDT", "SOL"]\n')  # the wallet reading now leaves SOL out
    assert after.check(None, reading(), (), NOW) == {}
    assert (journal.holding_watches(), sink.sent) == ([], [])
