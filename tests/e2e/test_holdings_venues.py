"""End to end: holdings on one venue, the hedge on another. Two simulators: "spot" holds the coins (a venue used
only for holdings: read, never traded on, no setting changed) and "perp" trades the hedge. The hedge follows a
deposit on the first; when the first stops answering, the hedge stays as it is and the journal says why."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.config import AppConfig, parse_config
from bot.core.cycle import plan_cycle
from bot.domain import ReasonCode
from bot.errors import PreflightError
from bot.exchange.factory import build_exchange, build_reader
from bot.exchange.port import ExchangePort, VenueReader
from bot.execution.approval import AutoApprover
from bot.execution.cycle import CyclePipeline
from bot.execution.run import Run, RunOptions
from bot.execution.startup import start_run
from bot.execution.summary import CycleOutcome
from bot.exit_codes import EXIT_FAILED, refusal_code
from bot.journal.writer import Journal, open_journal
from bot.settings.from_config import settings_for
from hedgesim import SimConfig, SimExchange, SimServer, running_sim
from tests.support.bot_process import hedgebot

pytestmark = pytest.mark.e2e
D = Decimal
SOL = "SOLUSDT"


def two_venue_config(spot_url: str, perp_url: str, tmp_path: Path, holdings: tuple[str, ...] = ("spot",)) -> AppConfig:
    sim = {"exchange": "bybit", "mode": "sim", "client_rate_limit": False, "timeout_seconds": 2}
    return parse_config(
        {
            "venues": {"spot": {**sim, "url": spot_url}, "perp": {**sim, "url": perp_url}},
            "holdings": {"venues": list(holdings)},
            "policy": {"ratio": 1},
            "execution": {"interval": "30s"},
            "approval": {"mode": "auto"},
            "journal": {"path": str(tmp_path / "journal.sqlite")},
            "risk": {"kill_switch_file": str(tmp_path / "hedgebot.halt")},
        },
        env={},
    )


@dataclass
class TwoVenues:
    spot: SimServer  # holds the coins
    perp: SimServer  # trades the hedge
    journal: Journal
    pipeline: CyclePipeline

    async def cycles(self, count: int) -> list[CycleOutcome]:
        outcomes = []
        for _ in range(count):
            outcomes.append(await self.pipeline.run_cycle())
            self.perp.advance(timedelta(seconds=30))
        return outcomes

    def position(self) -> Decimal:
        view = self.perp.engine.position(SOL)
        return view.position.size if view.position is not None else D(0)


@asynccontextmanager
async def two_venues(tmp_path: Path, spot_sol: Decimal, perp_sol: Decimal | None = None) -> AsyncIterator[TwoVenues]:
    """SOL on "spot"; with ``perp_sol``, SOL in the trading venue's wallet too, which then counts as well."""
    spot_engine = SimExchange.deterministic(SimConfig(balances={"SOL": spot_sol, "USDT": D(10)}, rate_limits=False))
    perp_balances = {"USDT": D(60000)} | ({"SOL": perp_sol} if perp_sol is not None else {})
    perp_engine = SimExchange.deterministic(SimConfig(balances=perp_balances, rate_limits=False))
    async with running_sim(engine=spot_engine) as spot, running_sim(engine=perp_engine) as perp:
        holdings = ("spot", "perp") if perp_sol is not None else ("spot",)
        config = two_venue_config(spot.url, perp.url, tmp_path, holdings)
        settings = settings_for(config, "perp")
        clock = perp_engine.clock
        journal = open_journal(tmp_path / "journal.sqlite", clock)
        port: ExchangePort = build_exchange(settings.venue, config.credentials("perp"), clock)
        (spot_venue,) = settings.wallet_venues
        wallet: VenueReader = build_reader(spot_venue, config.credentials("spot"), clock)
        run = Run(settings, port, journal, clock, run_id="e2etwo", planner=plan_cycle, wallets={"spot": wallet})
        try:
            yield TwoVenues(spot, perp, journal, CyclePipeline(run, AutoApprover()))
        finally:
            await port.close()
            await wallet.close()
            journal.close()


async def test_hedge_when_the_holdings_are_on_another_venue_then_it_follows_a_deposit_there(tmp_path: Path) -> None:
    async with two_venues(tmp_path, spot_sol=D(100)) as venues:
        await start_run(venues.pipeline.run, RunOptions())
        await venues.cycles(4)
        assert -100 <= venues.position() <= -95
        venues.spot.engine.deposit("SOL", D(50))
        await venues.cycles(4)
        assert -150 <= venues.position() <= D("-142.5")
        spot_writes = [r.path for r in venues.spot.requests if r.method == "POST"]
        assert spot_writes == []  # the holdings venue is only read: no order, no leverage, no margin mode


async def test_hedge_when_the_holdings_venue_stops_answering_then_kept_as_it_is_with_the_reason_journaled(
    tmp_path: Path,
) -> None:
    async with two_venues(tmp_path, spot_sol=D(100)) as venues:
        await start_run(venues.pipeline.run, RunOptions())
        await venues.cycles(4)
        before = venues.position()
        assert -100 <= before <= -95
        venues.spot.fault("maintenance")
        venues.spot.engine.deposit("SOL", D(50))  # unseen: the hedge must not grow on it...
        outcomes = await venues.cycles(3)
        assert venues.position() == before  # ...nor shrink for want of the holding
        assert all(o.placed == 0 for o in outcomes)
        latest = venues.journal.why("SOL", limit=1)[0].decision
        assert latest.reason is ReasonCode.BAD_DATA
        assert "the spot wallet could not be read" in latest.note
        assert "SOL counted at the last reading and the hedge kept as it is" in latest.note
        venues.spot.faults.clear()  # answering again: the deposit is hedged
        await venues.cycles(4)
        assert -150 <= venues.position() <= D("-142.5")


async def test_hedge_when_a_coin_held_on_both_venues_leaves_one_then_held_for_the_confirmation_window_then_follows(
    tmp_path: Path,
) -> None:
    async with two_venues(tmp_path, spot_sol=D(50), perp_sol=D(100)) as venues:
        await start_run(venues.pipeline.run, RunOptions())
        await venues.cycles(4)
        assert -150 <= venues.position() <= D("-142.5")
        before = venues.position()
        venues.spot.engine.withdraw("SOL", D(50))  # gone from "spot"; SOL is still listed on "perp"
        outcomes = await venues.cycles(3)
        assert all(o.placed == 0 for o in outcomes)
        assert venues.position() == before  # not read as a sale at once: a reply can lose a row
        latest = venues.journal.why("SOL", limit=1)[0].decision
        assert latest.reason is ReasonCode.BAD_DATA
        assert "SOL in the spot wallet, hedged until now, is missing from its reply" in latest.note
        venues.perp.advance(timedelta(minutes=30))  # holdings.vanished_confirm: still missing, so it counts as gone
        (confirmed,) = await venues.cycles(1)
        (line,) = confirmed.instruments
        assert line.target == -100  # the hedge follows the wallets: the 100 SOL on "perp"
        buys = venues.perp.engine.venue.orders.open_orders()
        assert confirmed.placed >= 1
        assert {(o.side.value, o.reduce_only) for o in buys} == {("buy", True)}  # bought back, reduce-only


async def test_start_when_a_holdings_venue_cannot_be_read_then_refused_exit_1_to_retry_later(tmp_path: Path) -> None:
    async with two_venues(tmp_path, spot_sol=D(100)) as venues:
        venues.spot.fault("maintenance")
        with pytest.raises(PreflightError, match="spot: cannot read the spot wallet") as refused:
            await start_run(venues.pipeline.run, RunOptions())
        assert refusal_code(refused.value) == EXIT_FAILED
        assert venues.perp.engine.venue.orders.open_orders() == []


@pytest.mark.slow
async def test_hedgebot_plan_when_the_holdings_are_on_another_venue_then_they_are_in_the_plan(tmp_path: Path) -> None:
    spot_engine = SimExchange.realtime(SimConfig(balances={"SOL": D(100), "USDT": D(10)}, rate_limits=False))
    perp_engine = SimExchange.realtime(SimConfig(balances={"USDT": D(60000)}, rate_limits=False))
    async with running_sim(engine=spot_engine) as spot, running_sim(engine=perp_engine) as perp:
        config = tmp_path / "hedgebot.toml"
        config.write_text(
            "".join(
                f'[venues.{name}]\nexchange = "bybit"\nmode = "sim"\nurl = "{url}"\nclient_rate_limit = false\n'
                for name, url in (("spot", spot.url), ("perp", perp.url))
            )
            + '[holdings]\nvenues = ["spot"]\n[policy]\nratio = 1\n',
            encoding="utf-8",
        )
        code, printed = await hedgebot(["plan", "--venue", "perp", "--json", "--config", str(config)], tmp_path / "log")
        spot_writes = [r.path for r in spot.requests if r.method == "POST"]
    assert code == 0, printed
    plan = json.loads(printed[printed.index("\n{\n") :])  # the plan, after the log lines
    (sol,) = [h for h in plan["holdings"] if h["holding"]["asset"] == "SOL"]
    assert sol["holding"]["sources"] == [{"kind": "exchange", "label": "spot"}]
    assert D(sol["holding"]["quantity"]) == 100
    assert sol["hedge"]["instrument"] == "SOL/USDT:USDT"
    assert spot_writes == []
