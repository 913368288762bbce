"""Specification of the cycle guards: a hedged holding missing from the wallet reply keeps its hedge until it is
listed again (or the bot restarts); a position the venue reports flat though the journal explains one is named."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from bot.clock import ManualClock
from bot.config import parse_config
from bot.core.cycle import CoreState, plan_cycle
from bot.core.plan import Plan
from bot.domain import Holding, HoldingSource
from bot.exchange.convert import flat_position
from bot.execution.guards import MissingHoldings, vanished_positions
from bot.journal.writer import open_journal
from bot.settings.from_config import core_settings
from tests.core.test_bad_data import SOL, VENUE, sol_and_btc
from tests.factories import NOW

D = Decimal


def sol_plan() -> Plan:
    config = parse_config(tomllib.loads(VENUE + "[policy]\nratio = 1\n"), env={})
    plan, _ = plan_cycle(core_settings(config), sol_and_btc(), CoreState(), NOW)
    assert plan.holding("SOL").hedge.instrument == SOL
    return plan


def test_missing_holdings_when_a_hedged_coin_vanishes_then_its_instrument_is_held_until_listed_again() -> None:
    guard = MissingHoldings()
    without_sol = replace(sol_and_btc(), holdings=())
    held = guard.check(sol_plan(), without_sol)
    assert list(held) == [SOL]
    assert "SOL, hedged until now, is missing from the wallet reply" in held[SOL]
    assert list(guard.check(None, without_sol)) == [SOL]  # a cycle later still held: no plan lists SOL now
    assert guard.check(None, sol_and_btc()) == {}  # listed again: released


def test_missing_holdings_when_the_coin_is_kept_off_the_exchange_too_then_the_wallet_part_still_counts() -> None:
    guard = MissingHoldings()
    static_only = replace(sol_and_btc(), holdings=(Holding("SOL", D(40), HoldingSource.static("cold wallet")),))
    assert list(guard.check(sol_plan(), static_only)) == [SOL]


def test_missing_holdings_when_the_bot_restarts_then_the_wallet_is_taken_as_it_reads() -> None:
    assert MissingHoldings().check(None, replace(sol_and_btc(), holdings=())) == {}


def test_vanished_positions_when_the_venue_reads_flat_but_the_journal_explains_a_short_then_named(
    tmp_path: Path,
) -> None:
    journal = open_journal(tmp_path / "journal.sqlite", ManualClock(NOW))
    try:
        journal.record_position_baseline("main", SOL, D(-50), as_of=NOW, reason="test", run_id=None)
        assert vanished_positions(journal, "main", sol_and_btc("50"), [SOL]) == {}
        assert vanished_positions(journal, "main", sol_and_btc("40"), [SOL]) == {}  # a fill in between: reconcile's
        lost = replace(sol_and_btc(), positions={SOL: flat_position(SOL, NOW)})  # a lost row reads as flat
        flat = vanished_positions(journal, "main", lost, [SOL])
        assert "reports no position, the journal explains -50 contracts" in flat[SOL]
    finally:
        journal.close()
