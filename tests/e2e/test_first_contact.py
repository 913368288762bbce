"""End to end: every way `hedgebot run` can fail at start-up, before trading, says what is wrong and what to do,
exits 4 when a person must act or 1 when it may pass by itself, sends no order and leaves the reason in the journal.

The simulator plays the venue that refuses: a wrong key, a key that may not trade, its clock far from ours, an
account in hedge mode that cannot be switched, an instrument it does not list, or no venue there at all.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.cli.run import drive
from bot.execution.approval import AutoApprover
from bot.execution.run import RunOptions
from bot.exit_codes import EXIT_FAILED, EXIT_NEEDS_OPERATOR
from bot.journal import open_reader
from hedgesim import SimConfig, SimExchange, SimServer, running_sim
from hedgesim.instruments import Category
from hedgesim.keys import KeyPermissions
from tests.e2e.harness import bot_config

pytestmark = pytest.mark.e2e
D = Decimal
WRONG_KEY = {"WRONG_API_KEY": "k" * 18, "WRONG_API_SECRET": "s" * 36}


def read_only_key(sim: SimServer) -> None:
    sim.engine.set_key(KeyPermissions.parse("read-only"))


def clock_ten_minutes_ahead(sim: SimServer) -> None:
    sim.fault("clock_skew", skew_ms=600_000)


def hedge_mode_with_a_position(sim: SimServer) -> None:
    """An account someone trades in hedge mode: a position open, so the mode cannot be switched."""
    sim.engine.trade(Category.LINEAR, "SOLUSDT", "Sell", D(1))
    sim.engine.venue.account.hedge_mode = True


@dataclass(frozen=True, slots=True)
class Refusal:
    arrange: Callable[[SimServer], None] | None  # what the venue does
    cause: str  # what the message says went wrong
    advice: str  # and what it says to do
    venue: dict[str, Any] = field(default_factory=dict)  # the venue's configuration, over the defaults
    sections: dict[str, Any] = field(default_factory=dict)  # other configuration sections, over the defaults
    code: int = EXIT_NEEDS_OPERATOR  # 4: a person must act; 1: it may pass by itself (a supervisor retries)


REFUSALS = {
    "wrong key": Refusal(None, "the API key was refused", "Check the key, secret", venue={"credentials": "WRONG"}),
    "read-only key": Refusal(read_only_key, "the API key may not do this", "trade derivatives"),
    "clock skew": Refusal(
        clock_ten_minutes_ahead, "refused the request's timestamp", "Synchronise this machine's", code=EXIT_FAILED
    ),
    "hedge mode": Refusal(
        hedge_mode_with_a_position,
        "cannot switch to one-way position mode",
        "close the positions and cancel the orders on SOL/USDT:USDT",
    ),
    "unknown instrument": Refusal(
        None,
        "hedges.SOL.instrument: SOLX/USDT:USDT is not listed",
        "closest listed: SOL/USDT:USDT",
        sections={"hedges": {"SOL": {"instrument": "SOLX/USDT:USDT"}}},
    ),
}


def account() -> SimExchange:
    return SimExchange.realtime(SimConfig(balances={"USDT": D(40000), "SOL": D(100)}, rate_limits=False))


def journaled_errors(folder: Path) -> list[str]:
    with open_reader(folder / "journal.sqlite") as journal:
        return [row.message for row in journal.errors()]


def printed_words(capsys: pytest.CaptureFixture[str]) -> str:
    return " ".join(capsys.readouterr().err.split())


@pytest.mark.parametrize("refusal", REFUSALS.values(), ids=REFUSALS.keys())
async def test_run_when_the_venue_refuses_at_start_up_then_says_why_and_what_to_do_and_journals_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], refusal: Refusal
) -> None:
    engine = account()
    async with running_sim(engine=engine) as sim:
        if refusal.arrange is not None:
            refusal.arrange(sim)
        config = bot_config(sim.url, tmp_path, refusal.venue, WRONG_KEY, **refusal.sections)
        code = await drive(config, "main", AutoApprover(), RunOptions(cycles=1))
        sent = [r.path for r in sim.requests if r.path.startswith("/v5/order/")]
    printed = printed_words(capsys)
    assert code == refusal.code  # a person fixes the key, the account or the configuration; a clock re-syncs itself
    assert "hedgebot: refusing to trade: main" in printed
    assert refusal.cause in printed
    assert refusal.advice in printed
    assert sent == []
    (journaled,) = journaled_errors(tmp_path)
    assert refusal.cause in journaled
    assert refusal.advice in journaled


async def test_run_when_the_venue_cannot_be_reached_then_says_to_start_the_simulator_exits_1_and_journals_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    config = bot_config(url, tmp_path, {"timeout_seconds": 2})
    code = await drive(config, "main", AutoApprover(), RunOptions(cycles=1))
    printed = printed_words(capsys)
    assert code == 1
    assert "the venue cannot be reached" in printed
    assert f"Is the simulator running at {url}? Start it with `hedgebot sim`" in printed
    (journaled,) = journaled_errors(tmp_path)
    assert "the venue cannot be reached" in journaled


async def test_dry_run_when_the_key_may_only_read_then_starts_and_trades_on_paper(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = account()
    async with running_sim(engine=engine) as sim:
        read_only_key(sim)
        config = bot_config(sim.url, tmp_path)
        code = await drive(config, "main", AutoApprover(), RunOptions(cycles=1), dry_run=True)
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert "DRY-RUN hedgebot run" in printed.out
    assert "DRY-RUN alerts: none sent by a dry run" in printed.out  # a paper hedge's alert would read as real
    assert "DRY-RUN hedgebot run on venue main (bybit, mode sim)" in printed.err  # the banner
