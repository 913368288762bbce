"""End to end: hedges on two venues in one process. Two simulators: "a" holds the coins (SOL and ETH) and trades SOL's
hedge, "b" trades ETH's (``hedges.ETH.venue = "b"``). Each venue's desk is wired as `hedgebot run` wires it
(``desks_for``, ``open_desks``: a port per venue, one journal, one set of stop and halt requests) and stepped on the
simulators' manual clocks. Each hedge reaches its target on its own venue and never on the other; a venue that stops
answering pauses its own desk, and the hedge it cannot read the holdings of is kept as it is, with the reason in the
journal, while the other desk goes on; an unwind flattens both; the status shows both."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path

import pytest

from bot.cli.run import drive
from bot.cli.status import read_status
from bot.cli.status_output import print_status_json
from bot.cli.venue import Desk, open_desks
from bot.config import AppConfig, parse_config
from bot.core.cycle import plan_cycle
from bot.core.unwind import plan_unwind
from bot.domain import ReasonCode
from bot.execution.approval import AutoApprover
from bot.execution.cycle import CyclePipeline
from bot.execution.interrupts import Interrupts
from bot.execution.portfolio import Portfolio
from bot.execution.run import PlanFunction, Run, RunOptions
from bot.execution.startup import start_run
from bot.execution.summary import CycleOutcome
from bot.exit_codes import EXIT_NEEDS_OPERATOR, EXIT_OK
from bot.journal import open_reader
from bot.journal.records import WatchState
from bot.journal.writer import Journal, open_journal
from bot.settings.from_config import desks_for
from hedgesim import SimConfig, SimExchange, SimServer, running_sim
from hedgesim.keys import KeyPermissions

pytestmark = pytest.mark.e2e
D = Decimal


def two_venue_config(a_url: str, b_url: str, tmp_path: Path, **risk: str) -> AppConfig:
    sim = {"exchange": "bybit", "mode": "sim", "client_rate_limit": False, "timeout_seconds": 2}
    return parse_config(
        {
            "venues": {"a": {**sim, "url": a_url}, "b": {**sim, "url": b_url}},
            "holdings": {"venues": ["a"]},
            "hedges": {"SOL": {"venue": "a"}, "ETH": {"venue": "b"}},
            "policy": {"ratio": 1},
            "execution": {"interval": "30s"},
            "approval": {"mode": "auto"},
            "journal": {"path": str(tmp_path / "journal.sqlite")},
            "risk": {"kill_switch_file": str(tmp_path / "hedgebot.halt"), **risk},
        },
        env={},
    )


@dataclass
class TwoDesks:
    a: SimServer  # holds SOL and ETH; trades SOL's hedge
    b: SimServer  # trades ETH's hedge
    journal: Journal
    desks: list[Desk]
    pipelines: list[CyclePipeline]

    def wire(self, planner: PlanFunction, tag: str) -> None:
        """Each venue's run, as `hedgebot run` (``plan_cycle``) or `hedgebot unwind` (``plan_unwind``) wires it."""
        interrupts = Interrupts(self.desks[0].settings.kill_switch_file)
        portfolio = Portfolio(desk.settings.venue.name for desk in self.desks)
        self.pipelines = [
            CyclePipeline(
                Run(
                    desk.settings,
                    desk.port,
                    self.journal,
                    self.a.engine.clock,
                    run_id=f"{tag}{desk.settings.venue.name}00",
                    planner=planner,
                    wallets=desk.wallets,
                    interrupts=interrupts,
                    portfolio=portfolio,
                ),
                AutoApprover(),
            )
            for desk in self.desks
        ]

    async def start(self) -> None:
        for pipeline in self.pipelines:
            await start_run(pipeline.run, RunOptions())

    async def cycles(self, count: int) -> dict[str, list[CycleOutcome]]:
        """``count`` cycles of every desk, the two venues' clocks moving together."""
        outcomes: dict[str, list[CycleOutcome]] = {"a": [], "b": []}
        for _ in range(count):
            for pipeline in self.pipelines:
                outcomes[pipeline.run.venue].append(await pipeline.run_cycle())
            for sim in (self.a, self.b):
                sim.advance(timedelta(seconds=30))
        return outcomes

    def position(self, sim: SimServer, symbol: str) -> Decimal:
        view = sim.engine.position(symbol)
        return view.position.size if view.position is not None else D(0)


@asynccontextmanager
async def two_desks(tmp_path: Path, eth: str = "4", **risk: str) -> AsyncIterator[TwoDesks]:
    a_engine = SimExchange.deterministic(
        SimConfig(balances={"SOL": D(100), "ETH": D(eth), "USDT": D(60000)}, rate_limits=False)
    )
    b_engine = SimExchange.deterministic(SimConfig(balances={"USDT": D(60000)}, rate_limits=False))
    async with running_sim(engine=a_engine) as a, running_sim(engine=b_engine) as b:
        config = two_venue_config(a.url, b.url, tmp_path, **risk)
        clock = a_engine.clock  # the two manual clocks start together and move together
        journal = open_journal(tmp_path / "journal.sqlite", clock)
        try:
            async with open_desks(config, desks_for(config, "a"), clock) as desks:
                venues = TwoDesks(a, b, journal, desks, [])
                venues.wire(plan_cycle, "run")
                yield venues
        finally:
            journal.close()


async def hedged(venues: TwoDesks) -> None:
    await venues.start()
    await venues.cycles(4)
    assert -100 <= venues.position(venues.a, "SOLUSDT") <= -95
    assert D("-4") <= venues.position(venues.b, "ETHUSDT") <= D("-3.8")


async def test_run_when_two_hedges_trade_on_two_venues_then_each_reaches_its_target_on_its_own_venue_only(
    tmp_path: Path,
) -> None:
    async with two_desks(tmp_path) as venues:
        await hedged(venues)
        assert venues.position(venues.a, "ETHUSDT") == 0  # never hedged twice: ETH's hedge is b's alone...
        assert venues.position(venues.b, "SOLUSDT") == 0  # ...and SOL's a's
        assert {o.symbol for o in venues.journal.orders(limit=100) if o.venue == "a"} == {"SOL/USDT:USDT"}
        assert {o.symbol for o in venues.journal.orders(limit=100) if o.venue == "b"} == {"ETH/USDT:USDT"}
        venues.wire(plan_cycle, "rst")  # a restart: each desk reads back the holdings it watches, not the other's
        await venues.start()
        await venues.cycles(2)
        watches = {(w.asset, w.state) for w in venues.journal.holding_watches()}
        assert watches == {("SOL", WatchState.HEDGED), ("ETH", WatchState.HEDGED)}  # neither desk misses the other's
        venues.a.engine.deposit("ETH", D(2))  # on a, hedged on b: b follows the deposit
        await venues.cycles(8)
        assert D("-6") <= venues.position(venues.b, "ETHUSDT") <= D("-5.7")


async def test_run_when_the_trading_venue_of_one_hedge_stops_answering_then_only_its_desk_pauses(
    tmp_path: Path,
) -> None:
    # b's hedge, unread, still counts (from the journal) toward the portfolio's total: a limit with room for both
    async with two_desks(tmp_path, max_total_hedge_notional="100000") as venues:
        await hedged(venues)
        eth = venues.position(venues.b, "ETHUSDT")
        venues.b.fault("maintenance")
        venues.a.engine.deposit("SOL", D(50))
        outcomes = await venues.cycles(4)
        assert all(o.skipped_because and "venue unreadable" in o.skipped_because for o in outcomes["b"])
        assert venues.position(venues.b, "ETHUSDT") == eth
        assert -150 <= venues.position(venues.a, "SOLUSDT") <= D("-142.5")  # a went on trading
        (paused,) = [e for e in venues.journal.errors() if e.kind == "venue_unreachable"]
        assert paused.run_id == "runb00"
        assert "trading paused: the venue cannot be read" in paused.message


async def test_run_when_the_venue_holding_the_coins_stops_answering_then_the_other_venues_hedge_is_kept_as_it_is(
    tmp_path: Path,
) -> None:
    async with two_desks(tmp_path) as venues:
        await hedged(venues)
        eth = venues.position(venues.b, "ETHUSDT")
        venues.a.fault("maintenance")
        venues.a.engine.deposit("ETH", D(2))  # unseen: b's hedge must not grow on it, nor shrink for want of it
        outcomes = await venues.cycles(3)
        assert venues.position(venues.b, "ETHUSDT") == eth
        assert all(o.placed == 0 for o in outcomes["b"])
        latest = venues.journal.why("ETH", limit=1)[0].decision
        assert latest.reason is ReasonCode.BAD_DATA
        assert "the a wallet could not be read" in latest.note
        venues.a.faults.clear()
        await venues.cycles(8)
        assert D("-6") <= venues.position(venues.b, "ETHUSDT") <= D("-5.7")


async def test_run_when_one_venue_holds_most_of_the_total_notional_limit_then_the_other_venues_growth_is_denied(
    tmp_path: Path,
) -> None:
    """risk.max_total_hedge_notional holds for the portfolio: SOL's hedge on a (about 22,900 USDT) leaves less than a
    slice of ETH's (up to 2,000 USDT) under 24,000, so b sends nothing and says why."""
    async with two_desks(tmp_path, eth="0", max_total_hedge_notional="24000") as venues:
        await venues.start()
        await venues.cycles(4)
        assert -100 <= venues.position(venues.a, "SOLUSDT") <= -95
        venues.a.engine.deposit("ETH", D(4))  # on a, hedged on b
        outcomes = await venues.cycles(3)
        assert venues.position(venues.b, "ETHUSDT") == 0
        assert all(o.placed == 0 for o in outcomes["b"])
        assert all(o.denied > 0 for o in outcomes["b"])
        assert venues.journal.denied_on("max_total_hedge_notional") > 0
        (message,) = venues.journal.why("ETH", limit=1)[0].denials
        assert "above risk.max_total_hedge_notional = 24000" in message
        assert "here, 22," in message  # this order, then a's SOL hedge as its desk last saw it
        assert " on a)" in message


async def test_unwind_when_hedges_trade_on_two_venues_then_both_are_flattened(tmp_path: Path) -> None:
    async with two_desks(tmp_path) as venues:
        await hedged(venues)
        venues.wire(partial(plan_unwind, symbols=None), "unw")  # a new process: `hedgebot unwind`
        await venues.start()
        for _ in range(12):
            await venues.cycles(1)
            if venues.position(venues.a, "SOLUSDT") == venues.position(venues.b, "ETHUSDT") == 0:
                break
        assert venues.position(venues.a, "SOLUSDT") == 0
        assert venues.position(venues.b, "ETHUSDT") == 0


async def test_status_json_when_hedges_trade_on_two_venues_then_it_shows_each_venues_hedge(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with two_desks(tmp_path) as venues:
        await hedged(venues)
        path = tmp_path / "journal.sqlite"
        clock = venues.a.engine.clock
        views = [await read_status(d.settings, path, d.port, clock, d.wallets) for d in venues.desks]
        capsys.readouterr()
        print_status_json(views, ["sim", "sim"])
        printed = capsys.readouterr().out
    status = json.loads(printed[printed.index('{\n  "venues"') :])
    a, b = status["venues"]
    assert (a["venue"], b["venue"]) == ("a", "b")
    assert [h["asset"] for h in a["holdings"]] == ["SOL"]
    assert [h["asset"] for h in b["holdings"]] == ["ETH"]
    assert [(i["symbol"], D(i["contracts"])) for i in a["instruments"]] == [
        ("SOL/USDT:USDT", venues.position(venues.a, "SOLUSDT"))
    ]
    assert [(i["symbol"], D(i["contracts"])) for i in b["instruments"]] == [
        ("ETH/USDT:USDT", venues.position(venues.b, "ETHUSDT"))
    ]


def sent(tmp_path: Path) -> dict[str, set[str]]:
    """The instruments the journal's orders were sent on, by venue."""
    with open_reader(tmp_path / "journal.sqlite") as journal:
        orders = journal.orders(limit=1000)
    return {venue: {o.symbol for o in orders if o.venue == venue} for venue in ("a", "b")}


@pytest.mark.parametrize(
    ("b_key", "code", "b_orders"),
    [
        ("trade", EXIT_OK, {"ETH/USDT:USDT"}),
        ("read-only", EXIT_NEEDS_OPERATOR, set()),  # b refused at start-up: a trades all the same
    ],
)
async def test_hedgebot_run_when_hedges_trade_on_two_venues_then_one_process_trades_each_on_its_venue(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], b_key: str, code: int, b_orders: set[str]
) -> None:
    a_engine = SimExchange.realtime(
        SimConfig(balances={"SOL": D(100), "ETH": D(4), "USDT": D(60000)}, rate_limits=False)
    )
    b_engine = SimExchange.realtime(SimConfig(balances={"USDT": D(60000)}, rate_limits=False))
    b_engine.set_key(KeyPermissions.parse(b_key))
    async with running_sim(engine=a_engine) as a, running_sim(engine=b_engine) as b:
        config = two_venue_config(a.url, b.url, tmp_path)
        assert await drive(config, "a", AutoApprover(), RunOptions(cycles=1)) == code
        posts = {sim.url: {r.path for r in sim.requests if r.method == "POST"} for sim in (a, b)}
    assert sent(tmp_path) == {"a": {"SOL/USDT:USDT"}, "b": b_orders}  # each hedge on its own venue, never twice
    assert "/v5/order/create" in posts[a.url]
    assert ("/v5/order/create" in posts[b.url]) is bool(b_orders)
    printed = capsys.readouterr()
    assert "hedgebot run on venue a (bybit, mode sim)" in printed.err
    assert "hedgebot run on venue b (bybit, mode sim)" in printed.err
    if code != EXIT_OK:
        words = " ".join(printed.err.split())
        assert (
            "b: hedgebot: refusing to trade: b ETH/USDT:USDT: cannot switch to one-way position mode: the API key may not"
            in words
        )


async def test_hedgebot_run_dry_run_when_hedges_trade_on_two_venues_then_a_paper_venue_each_and_nothing_sent(
    tmp_path: Path,
) -> None:
    a_engine = SimExchange.realtime(
        SimConfig(balances={"SOL": D(100), "ETH": D(4), "USDT": D(60000)}, rate_limits=False)
    )
    b_engine = SimExchange.realtime(SimConfig(balances={"USDT": D(60000)}, rate_limits=False))
    async with running_sim(engine=a_engine) as a, running_sim(engine=b_engine) as b:
        config = two_venue_config(a.url, b.url, tmp_path)
        assert await drive(config, "a", AutoApprover(), RunOptions(cycles=1), dry_run=True) == EXIT_OK
        writes = [r.path for sim in (a, b) for r in sim.requests if r.method == "POST"]
    assert writes == []  # each venue read through its read half only
    for venue, symbol in (("a", "SOL/USDT:USDT"), ("b", "ETH/USDT:USDT")):
        paper = json.loads((tmp_path / f"journal.dry-run.{venue}.venue.json").read_text(encoding="utf-8"))
        assert symbol in json.dumps(paper)  # each venue's paper orders in its own file
    with open_reader(tmp_path / "journal.dry-run.sqlite") as journal:
        orders = journal.orders(limit=1000)
    assert {(o.venue, o.symbol) for o in orders} == {("a", "SOL/USDT:USDT"), ("b", "ETH/USDT:USDT")}
