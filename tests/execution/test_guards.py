"""Specification of the cycle guards: a position the venue reports flat though the journal explains one is named; a
holdings-only venue's wallet that cannot be read holds the hedges of its holdings (the vanished-holdings guard:
tests/execution/test_vanished.py)."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.config import parse_config
from bot.core.cycle import CoreState, plan_cycle
from bot.core.plan import Plan
from bot.domain import Balance, Holding, HoldingSource
from bot.errors import AuthenticationFailed, DataError, ExchangeUnavailable, PreflightError
from bot.exchange.convert import flat_position
from bot.execution.guards import unread_wallets, vanished_positions
from bot.execution.wallets import HoldingsWallets
from bot.exit_codes import EXIT_NEEDS_OPERATOR, refusal_code
from bot.journal.writer import open_journal
from bot.settings import CoreSettings
from bot.settings.from_config import core_settings
from tests.core.test_bad_data import BTC, PROXY, SOL, VENUE, sol_and_btc
from tests.exchange.fake_port import FakePort
from tests.factories import NOW

D = Decimal


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


def spot_wallet(sol: str = "100") -> FakePort:
    """A holdings-only venue "spot" whose wallet holds ``sol`` SOL (and some USDT, never a holding)."""
    return FakePort(
        "spot", balances={"SOL": Balance("SOL", D(sol), D(0), D(sol)), "USDT": Balance("USDT", D(5), D(0), D(5))}
    )


def plan_from_spot(core: CoreSettings) -> Plan:
    """The plan for 100 SOL read from the "spot" venue's wallet (SOL hedged on its own perpetual)."""
    held = replace(sol_and_btc(), holdings=(Holding("SOL", D(100), HoldingSource.exchange("spot")),))
    plan, _ = plan_cycle(core, held, CoreState(), NOW)
    return plan


async def test_unread_wallets_when_a_holdings_venue_stops_answering_then_its_holdings_kept_and_their_hedge_held() -> (
    None
):
    config = parse_config(tomllib.loads(VENUE + PROXY), env={})
    core = core_settings(config)
    port = spot_wallet()
    wallets = HoldingsWallets({"spot": port}, exclude=core.holdings.exclude, quote="USDT")
    await wallets.open()
    assert unread_wallets(plan_from_spot(core), wallets, core) == {}  # read: nothing held
    port.failures["fetch_spot_balances"] = ExchangeUnavailable("503 Service Unavailable")
    kept = await wallets.read()
    assert [(h.asset, h.quantity, str(h.source)) for h in kept] == [("SOL", D(100), "exchange:spot")]
    held = unread_wallets(plan_from_spot(core), wallets, core)
    assert list(held) == [SOL]  # the instrument the last plan hedged SOL on, not the proxy
    assert "the spot wallet could not be read (503 Service Unavailable)" in held[SOL]
    # before any plan: every instrument SOL may be hedged on, its own perpetual and the configured proxy
    assert sorted(unread_wallets(None, wallets, core)) == sorted([SOL, BTC])
    del port.failures["fetch_spot_balances"]
    await wallets.read()
    assert unread_wallets(plan_from_spot(core), wallets, core) == {}  # answering again: released


async def test_holdings_wallets_when_a_venue_never_read_fails_then_refused_not_taken_as_empty() -> None:
    port = spot_wallet()
    port.failures["fetch_spot_balances"] = AuthenticationFailed("10003 API key is invalid")
    wallets = HoldingsWallets({"spot": port}, exclude=frozenset({"USDT"}), quote="USDT")
    with pytest.raises(PreflightError, match="spot: cannot read the spot wallet") as refused:
        await wallets.open()
    assert refusal_code(refused.value) == EXIT_NEEDS_OPERATOR  # a refused key: a person must act
    with pytest.raises(DataError, match="spot: cannot read the spot wallet"):
        await wallets.read()  # in a cycle: skipped, never read as "holds nothing"
    empty = FakePort("spot", balances={})
    with pytest.raises(PreflightError, match="lists no coin at all"):
        await HoldingsWallets({"spot": empty}, exclude=frozenset(), quote="USDT").open()
