"""Crash safety: SIGKILL a real `hedgebot run` process at random points of order placement, restart it, check.

Acceptance (issue 5): killing the bot with SIGKILL at random points during order placement and restarting it
never leaves two live orders for one intent, never exceeds a limit, and the journal ends consistent with the
exchange. The trials run in chains (``crash_chain``): each chain is one real-time simulator and one journal, and
every trial is checked against the venue's whole history so far (``tests.support.invariants``). Below the trials: the
checks' own specifications (each must be able to fail), and a restart case found by these trials' design.

HEDGEBOT_CRASH_SEED=N runs another seed; `pytest -s` prints where every kill landed.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from bot.clock import utc_from_ms
from bot.config import AppConfig, parse_config
from bot.domain import Fill, MarginMode, Order, OrderStatus, Position, Side
from bot.exchange.factory import build_exchange
from bot.exchange.port import ExchangePort, OrderRequest
from bot.execution.run import RunOptions
from bot.execution.startup import start_run
from bot.journal import JournalOrder, OrderOrigin, open_journal
from bot.settings.from_config import settings_for
from hedgesim import SimConfig, SimExchange, running_sim
from hedgesim.bybit.app import RequestRecord
from hedgesim.enums import Side as VenueSide
from hedgesim.instruments import Category
from hedgesim.orders import ExecType, Execution, NewOrder, OrderType, SimOrder, TimeInForce
from hedgesim.orders import OrderStatus as VenueStatus
from tests.e2e.crash_chain import distribution, mark, run_chain
from tests.e2e.crash_rig import KillPoint
from tests.e2e.harness import bot_config, wire
from tests.support.invariants import VenueHistory, double_live_orders, journal_disagreements, limit_breaches

pytestmark = pytest.mark.e2e

D = Decimal
SEED = int(os.environ.get("HEDGEBOT_CRASH_SEED", "20261122"))
CHAINS = 3  # concurrently: each spends much of its time waiting on the venue, on timers or on a frozen symbol
TRIALS_PER_CHAIN = 8
SOL = "SOL/USDT:USDT"


@pytest.mark.slow
@pytest.mark.timeout(900)  # a hang guard: 1 min on an idle 2-core machine, 3-4 min with CPU hogs beside it
@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="the killer signals through a pidfd (Linux 5.3+)")
async def test_crash_when_bot_killed_during_order_placement_then_restart_keeps_every_invariant(
    tmp_path: Path,
) -> None:
    folders = [tmp_path / f"chain{n}" for n in range(CHAINS)]
    for folder in folders:
        folder.mkdir()
    async with asyncio.TaskGroup() as group:
        chains = [group.create_task(run_chain(n, folder, SEED, TRIALS_PER_CHAIN)) for n, folder in enumerate(folders)]
    trials = [trial for chain in chains for trial in chain.result()]
    report = distribution(trials, SEED)
    print(report)
    problems = [f"chain {t.chain} trial {t.number} [{t.point}]: {p}" for t in trials for p in t.problems]
    assert not problems, "\n".join(problems)
    killed = [t for t in trials if t.killed and t.point is not KillPoint.NO_ORDER]
    assert len(killed) >= 20, report
    assert {KillPoint.HELD, KillPoint.ANSWERED} <= {t.point for t in killed}, report  # the faults' windows


# -- a restart case -----------------------------------------------------------------------------------------


class LandsBeforeListing:
    """The venue port, with a create request of a crashed run (held at the venue) landing just before the bot
    next lists open orders: after its look-up by client id found nothing, before reconciliation's listing."""

    def __init__(self, port: ExchangePort, land: Callable[[], object]) -> None:
        self._port = port
        self._land: Callable[[], object] | None = land

    def __getattr__(self, name: str) -> Any:
        return getattr(self._port, name)

    async def fetch_open_orders(self, symbols: Iterable[str]) -> list[Order]:
        if self._land is not None:
            self._land()
            self._land = None
        return await self._port.fetch_open_orders(symbols)


async def test_restart_when_an_unknown_order_lands_during_reconciliation_then_its_symbol_trades_again(
    tmp_path: Path,
) -> None:
    engine = SimExchange.deterministic(SimConfig(balances={"USDT": D(40000), "SOL": D(100)}, rate_limits=False))
    async with running_sim(engine=engine) as sim:
        config = bot_config(sim.url, tmp_path)
        journal = open_journal(tmp_path / "journal.sqlite", engine.clock)
        port = build_exchange(
            settings_for(config, "main").venue,
            config.credentials("main"),
            engine.clock,
            margin_mode=MarginMode.ISOLATED,
        )
        price = (mark(sim, "SOLUSDT") * D("1.002")).quantize(D("0.01"))  # rests above the ask
        crashed = OrderRequest(SOL, Side.SELL, D(10), price, "hbcrash1x0", reduce_only=False)
        journal.record_order("main", crashed, run_id=None)  # written, then the bot died: no outcome recorded
        held = NewOrder(
            Category.LINEAR, "SOLUSDT", VenueSide.SELL, OrderType.LIMIT, D(10), price, TimeInForce.POST_ONLY,
            link_id="hbcrash1x0",
        )  # fmt: skip
        landing = LandsBeforeListing(port, partial(engine.place_order, held))
        loop = wire(config, landing, journal, engine.clock, "again1")  # type: ignore[arg-type]
        try:
            await start_run(loop.run, RunOptions())
            adopted = journal.order("hbcrash1x0")
            assert adopted is not None
            assert adopted.status is OrderStatus.OPEN  # reconciliation adopted it: its outcome is known
            await loop.run_cycle()  # 100 SOL to hedge, 10 in flight
            sent = [o for o in journal.orders(limit=100) if o.run_id == "again1"]
            assert sent, "SOL stays frozen on an order whose outcome the journal already knows"
        finally:
            await port.close()
            journal.close()


class FillsBeforePositions:
    """The venue port, with the market jumping through our resting sells right after the bot read its fills and
    before it reads its positions (a resting order filling in between, as it can at any moment)."""

    def __init__(self, port: ExchangePort, jump: Callable[[], object]) -> None:
        self._port = port
        self._jump: Callable[[], object] | None = jump
        self._fills_read = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._port, name)

    async def fetch_my_trades(self, symbols: Iterable[str], since: datetime | None = None) -> list[Fill]:
        self._fills_read = True
        return await self._port.fetch_my_trades(symbols, since)

    async def fetch_positions(self, symbols: Iterable[str]) -> Mapping[str, Position]:
        if self._jump is not None and self._fills_read:
            self._jump()
            self._jump = None
        return await self._port.fetch_positions(symbols)


async def test_restart_when_a_resting_order_fills_while_reconciling_then_the_bot_still_trades(tmp_path: Path) -> None:
    engine = SimExchange.deterministic(SimConfig(balances={"USDT": D(40000), "SOL": D(100)}, rate_limits=False))
    async with running_sim(engine=engine) as sim:
        config = bot_config(sim.url, tmp_path)
        journal = open_journal(tmp_path / "journal.sqlite", engine.clock)
        ports = [
            build_exchange(settings_for(config, "main").venue, config.credentials("main"), engine.clock)
            for _ in range(2)
        ]
        try:
            first = wire(config, ports[0], journal, engine.clock, "first1")
            await start_run(first.run, RunOptions())
            await first.run_cycle()  # sells rest at the ask; then the process dies
            assert engine.venue.orders.open_orders(symbol="SOLUSDT")
            jump = FillsBeforePositions(ports[1], partial(engine.gap, "SOL", D("0.05")))  # +5 %: every sell fills
            second = wire(config, jump, journal, engine.clock, "again2")  # type: ignore[arg-type]
            await start_run(
                second.run, RunOptions()
            )  # refuses to trade: "positions differ from what the journal explains"
            explained = {p.symbol: p.contracts for p in journal.explained_positions()}
            assert explained[SOL] == engine.position("SOLUSDT").position.size  # type: ignore[union-attr]
        finally:
            for port in ports:
                await port.close()
            journal.close()


async def test_restart_when_more_than_a_page_of_fills_happened_while_down_then_the_journal_records_them_all(
    tmp_path: Path,
) -> None:
    config_sim = SimConfig(balances={"USDT": D(150000), "SOL": D(400)}, rate_limits=False, participation=D("0.003"))
    engine = SimExchange.deterministic(config_sim)  # resting orders fill in many small pieces
    async with running_sim(engine=engine) as sim:
        wide = {"max_total_hedge_notional": 200000, "max_orders_per_minute": 200}
        config = bot_config(sim.url, tmp_path, execution={"slice_max_depth_share": 1}, risk=wide)
        journal = open_journal(tmp_path / "journal.sqlite", engine.clock)
        ports = [
            build_exchange(settings_for(config, "main").venue, config.credentials("main"), engine.clock)
            for _ in range(2)
        ]
        try:
            first = wire(config, ports[0], journal, engine.clock, "first2")
            await start_run(first.run, RunOptions())
            await first.run_cycle()  # sells rest at the ask; then the process dies
            for _ in range(60):
                sim.advance(timedelta(seconds=5))  # five minutes down
            fills = [e for e in engine.executions if e.exec_type is ExecType.TRADE]
            assert len(fills) > 50  # more than Bybit's default page of executions
            second = wire(config, ports[1], journal, engine.clock, "again4")
            await start_run(second.run, RunOptions())  # refuses to trade: the journal recorded only the newest 50 fills
            assert len(journal.fills(limit=1000)) == len(fills)
        finally:
            for port in ports:
                await port.close()
            journal.close()


# -- the checks can fail ------------------------------------------------------------------------------------


def venue_order(
    cid: str, created: int, ended: int | None = None, *, qty: str = "2", status: VenueStatus | None = None
) -> SimOrder:
    """A post-only sell of ours on SOLUSDT at 200, open (``ended`` None) or ended then (cancelled by default)."""
    return SimOrder(
        order_id=f"id-{cid}", link_id=cid, category=Category.LINEAR, symbol="SOLUSDT", side=VenueSide.SELL,
        order_type=OrderType.LIMIT, price=D(200), qty=D(qty), time_in_force=TimeInForce.POST_ONLY,
        reduce_only=False, status=status or (VenueStatus.NEW if ended is None else VenueStatus.CANCELLED),
        created_ms=created, updated_ms=ended if ended is not None else created, last_price_on_created=D(200),
        cum_qty=D(qty) if status is VenueStatus.FILLED else D(0),
    )  # fmt: skip


def fill(order: SimOrder, at: int) -> Execution:
    return Execution(
        exec_id=f"fill-{order.link_id}", exec_type=ExecType.TRADE, category=Category.LINEAR, symbol=order.symbol,
        side=order.side, qty=order.qty, price=order.price, time_ms=at, seq=at, order_id=order.order_id,
        link_id=order.link_id, is_maker=True,
    )  # fmt: skip


def venue(orders: Iterable[SimOrder], fills: Iterable[Execution] = (), read_at: int = 10_000) -> VenueHistory:
    """The venue's history on SOLUSDT with the mark at 200; our fills last read at ``read_at``."""
    trades = tuple(fills)
    return VenueHistory(
        orders=tuple(orders), trades=trades, creates=(), trades_read_ms={"SOLUSDT": read_at},
        mark=lambda symbol, ms: D(200), positions={"SOLUSDT": sum((t.side.sign * t.qty for t in trades), D(0))},
        leverage={"SOLUSDT": D(1)}, liquidation_prices={}, liquidations=0,
    )  # fmt: skip


def journal_order(cid: str, at: int, status: OrderStatus | None = OrderStatus.OPEN, *, intent: int = 1) -> JournalOrder:
    """Our 2-contract SOL sell as the journal holds it, written at ``at`` ms."""
    return JournalOrder(
        client_order_id=cid, venue="main", run_id="run001", intent_id=intent, origin=OrderOrigin.SENT, symbol=SOL,
        side=Side.SELL, amount=D(2), price=D(200), reduce_only=False, post_only=True, created_at=utc_from_ms(at),
        status=status, order_id=None, filled=D(0), average_price=None,
        updated_at=utc_from_ms(at), detail="",
    )  # fmt: skip


def sim_config() -> AppConfig:
    return parse_config({"venues": {"main": {"exchange": "bybit", "mode": "sim", "url": "http://127.0.0.1:1"}}}, env={})


@pytest.mark.parametrize(
    ("orders", "intents", "problems"),
    [
        pytest.param([venue_order("hba", 1000), venue_order("hbb", 2000)], [1, 1], 1, id="one intent, both resting"),
        pytest.param([venue_order("hba", 1000, 2000), venue_order("hbb", 2000)], [1, 1], 0, id="replaced after cancel"),
        pytest.param([venue_order("hba", 1000, 1000), venue_order("hbb", 1000)], [1, 1], 0, id="first never rested"),
        pytest.param([venue_order("hba", 1000), venue_order("hbb", 2000)], [1, 2], 0, id="two intents"),
        pytest.param([venue_order("hba", 1000, 1500), venue_order("hba", 2000)], [1, 2], 1, id="one client id twice"),
    ],
)
def test_double_live_orders_when_venue_history_given_then_overlaps_of_one_intent_reported(
    orders: list[SimOrder], intents: list[int], problems: int
) -> None:
    journal = [journal_order(o.link_id, o.created_ms, intent=i) for o, i in zip(orders, intents, strict=True)]
    assert len(double_live_orders(venue(orders), journal)) == problems


def create_request(link_id: str, arrived: int, status: int) -> RequestRecord:
    """The venue's record of our order creation arriving at wall ms ``arrived``, answered 1 ms later."""
    return RequestRecord(
        seq=arrived, wall_ms=arrived + 1, exchange_ms=arrived + 1, method="POST", path="/v5/order/create",
        params={"orderLinkId": link_id}, status=status, ret_code=0 if status == 200 else None, ret_msg="",
        faults=(), duration_ms=1.0,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("first_answer", "lookups", "problems"),
    [
        pytest.param(504, (), 1, id="reply lost, sent again without a look-up"),
        pytest.param(504, (1600,), 0, id="reply lost, looked up by client id first"),
        pytest.param(504, (2500,), 1, id="looked up only after sending again"),
        pytest.param(200, (), 0, id="answered"),
    ],
)
def test_double_live_orders_when_a_first_order_s_reply_was_lost_then_a_second_without_a_look_up_is_a_blind_retry(
    first_answer: int, lookups: tuple[int, ...], problems: int
) -> None:
    # the first order filled during the silence, so the two were never live together: only the requests tell
    orders = [venue_order("hba", 1000, 1500, status=VenueStatus.FILLED), venue_order("hbb", 2000)]
    history = replace(
        venue(orders),
        creates=(create_request("hba", 1000, first_answer), create_request("hbb", 2000, 200)),
        lookups={"hba": lookups},
    )
    journal = [journal_order(o.link_id, o.created_ms) for o in orders]
    assert len(double_live_orders(history, journal)) == problems


@pytest.mark.parametrize(
    ("new_sell", "problems"),
    [
        pytest.param("2", 0, id="short reaches the 10 held"),
        pytest.param("2.1", 1, id="short could reach 10.1"),
    ],
)
def test_limit_breaches_when_a_sell_is_created_then_short_measured_against_holdings(
    new_sell: str, problems: int
) -> None:
    filled = venue_order("hba", 1000, 1500, qty="8", status=VenueStatus.FILLED)
    history = venue([filled, venue_order("hbb", 2000, qty=new_sell)], [fill(filled, 1500)])
    holdings = {"SOLUSDT": [(0, D(10))]}  # 10 SOL held: max_hedge_ratio 1 allows a 10-contract short
    assert len(limit_breaches(history, holdings, sim_config())) == problems


@pytest.mark.parametrize(
    ("priced_ms", "problems"),
    [
        pytest.param(None, 1, id="judged by the plan's mark"),
        pytest.param({"hba": 1800.0}, 0, id="judged by the re-price's fresh mark"),
    ],
)
def test_limit_breaches_when_an_order_was_re_priced_after_a_move_then_its_price_is_judged_by_the_fresh_mark(
    priced_ms: dict[str, float] | None, problems: int
) -> None:
    # the mark was 200 when the cycle planned (ms 1000) and 190 when the re-price read its fresh book (ms 1800):
    # a 2-contract sell re-priced at 190 is 500 bps from the first mark, none from the second
    order = replace(venue_order("hba", 2000, qty="2"), price=D(190))
    history = replace(
        venue([order]),
        mark=lambda symbol, ms: D(200) if ms < 1500 else D(190),
        ticker_reads=(1000.0, 1800.0),
    )
    found = limit_breaches(
        history, {"SOLUSDT": [(0, D(10))]}, sim_config(), decided_ms={"hba": 1000.0}, priced_ms=priced_ms
    )
    assert len([v for v in found if "from the mark" in v.detail]) == problems


LAST_CYCLE = utc_from_ms(5000)


@pytest.mark.parametrize(
    ("at_venue", "fills", "journal", "expected"),
    [
        pytest.param([venue_order("hba", 1000)], [], [], "is not in the journal", id="venue order unjournaled"),
        pytest.param(
            [venue_order("hba", 1000)], [], [journal_order("hba", 1000, OrderStatus.REJECTED)],
            "is rejected, the venue's is New", id="rejected but resting",
        ),
        pytest.param(
            [venue_order("hba", 1000)], [], [journal_order("hba", 1000, None)],
            "the venue has it", id="unknown though the venue had it",
        ),
        pytest.param([], [], [journal_order("hba", 1000, None)], None, id="unknown, never sent, frozen"),
        pytest.param(
            [venue_order("hbb", 2000)], [], [journal_order("hba", 1000, None), journal_order("hbb", 2000)],
            "not frozen", id="unknown, but more sent on its symbol",
        ),
        pytest.param(
            [], [], [journal_order("hba", 5000 - 30_000, None)], "unknown 0:00:30", id="unknown past the grace",
        ),
        pytest.param(
            [venue_order("hba", 1000, 5000, status=VenueStatus.FILLED)],
            [fill(venue_order("hba", 1000, 5000, status=VenueStatus.FILLED), 1500)],
            [journal_order("hba", 1000, OrderStatus.OPEN)],
            "missing from the journal", id="fill before the last read not recorded",
        ),
        pytest.param(
            [venue_order("hba", 1000, 1500, status=VenueStatus.FILLED)], [],
            [journal_order("hba", 1000, OrderStatus.OPEN)], "is open, the venue's is Filled",
            id="ended before the last cycle, still open in the journal",
        ),
        pytest.param(
            [venue_order("hba", 1000, 5000, status=VenueStatus.FILLED)], [],
            [journal_order("hba", 1000, OrderStatus.OPEN)], None, id="ended during the last cycle",
        ),
    ],
)  # fmt: skip
def test_journal_disagreements_when_journal_and_venue_given_then_each_mismatch_named(
    at_venue: list[SimOrder], fills: list[Execution], journal: list[JournalOrder], expected: str | None
) -> None:
    history = venue(at_venue, fills, read_at=4000)
    problems = journal_disagreements(history, journal, [], {"SOLUSDT": D(0)}, LAST_CYCLE)
    if expected is None:
        assert problems == []
    else:
        assert any(expected in str(p) for p in problems), problems
