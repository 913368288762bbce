"""Crash chains: one real-time simulator and one journal through a series of kill-restart-check trials.

Each trial changes the spot holdings (so the next run has orders to place), starts `python -m bot run`, kills it
where its ``KillPlan`` says, restarts it with `run --cycles 2` and checks the venue's whole history so far
against the journal (``tests.support.invariants``). Two assets, SOL and ETH, are hedged on their own perpetuals,
so the executor has two symbols in flight at once, and one stays tradable while the other is frozen.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

from bot.config import load_config
from bot.journal import open_reader
from hedgesim import SimConfig, SimExchange, SimServer, running_sim
from hedgesim.enums import Side
from tests.e2e.crash_rig import (
    JournalWatch,
    KillPlan,
    KillPoint,
    apply_fault,
    kill_modes,
    kill_point,
    plan_kill,
    start_bot,
    write_config,
)
from tests.support.bot_process import kill_when, log_tail, reap
from tests.support.invariants import (
    UNKNOWN_GRACE,
    Holdings,
    VenueHistory,
    double_live_orders,
    journal_disagreements,
    limit_breaches,
    venue_symbol,
)

D = Decimal
SPEED = 60.0  # historical seconds per second: resting orders fill while the bot is down
HEDGES = {"SOL": "SOLUSDT", "ETH": "ETHUSDT"}  # spot asset -> its perpetual (venue symbol), hedged directly
BALANCES = {"USDT": D(100000), "SOL": D(100), "ETH": D(5)}
BOUNDS = {"SOL": (D(60), D(160)), "ETH": (D("2.5"), D("7.5"))}  # holdings grow below, shrink above
LOTS = {"SOL": D("0.1"), "ETH": D("0.01")}
SLICE_NOTIONAL = D(3000)  # execution.slice_max_notional in the rig's configuration
# A guard against a hung run only: a run that places fewer orders than its kill waits for ends by itself after its
# three cycles. Start-up alone takes ~1.5 s on an idle machine but 10-40 s on a busy 2-core one, so a guard near
# the idle figure killed runs before their first order and left too few kills during placement.
KILL_WAIT_SECONDS = 90.0
GRACE_MS = UNKNOWN_GRACE.total_seconds() * 1000
STARTUP_MS = 1500  # a run's first cycle starts about this long after its process


@dataclass(frozen=True, slots=True)
class Trial:
    chain: int
    number: int
    plan: KillPlan
    killed: bool  # False: the run ended before its k-th order row, nothing was killed mid-placement
    point: KillPoint
    since_row_ms: float | None = None  # the kill, in ms after the run's newest order row was written
    seconds: float = 0.0  # the trial's wall time, waiting for a frozen symbol included
    restart_code: int = 0  # the restarted run's exit code
    problems: tuple[str, ...] = field(default_factory=tuple)


async def run_chain(chain: int, folder: Path, seed: int, trials: int) -> list[Trial]:
    """One simulator and one journal through ``trials`` trials; stops early only when a restart fails."""
    rng = random.Random(f"{seed}/{chain}")
    engine = SimExchange.realtime(SimConfig(balances=BALANCES, speed=SPEED, rate_limits=False, seed=chain))
    done: list[Trial] = []
    async with running_sim(engine=engine) as sim:
        config_path = write_config(folder, sim.url)
        watch = JournalWatch(folder / "journal.sqlite")
        holdings = {symbol: [(engine.now_ms(), BALANCES[asset])] for asset, symbol in HEDGES.items()}
        try:
            for number, mode in enumerate(kill_modes(rng, trials), start=1):
                started = time.monotonic()
                frozen = await _frozen(sim, watch)
                values = _change_holdings(sim, rng, holdings) if number > 1 else _values(sim, BALANCES)
                notional = sum((v for symbol, v in values.items() if symbol not in frozen), D(0))
                plan = plan_kill(rng, mode, math.ceil(notional / SLICE_NOTIONAL))
                trial = await _trial(sim, watch, config_path, holdings, (chain, number), plan)
                done.append(replace(trial, seconds=time.monotonic() - started))
                if trial.restart_code != 0:
                    break  # the rest of the chain would only repeat the failed restart
        finally:
            watch.close()
    return done


async def _trial(
    sim: SimServer, watch: JournalWatch, config_path: Path, holdings: Holdings, at: tuple[int, int], plan: KillPlan
) -> Trial:
    chain, number = at
    log = config_path.parent / f"trial{number:02}.log"
    fault = apply_fault(sim, plan)
    count = watch.count(plan.trigger) + plan.nth_order
    bot = await start_bot(config_path, 3, log)
    try:
        shot = await kill_when(watch.path, bot, plan.trigger, count, plan.delay, KILL_WAIT_SECONDS)
    finally:
        await reap(bot)
        if fault is not None:
            sim.faults.remove(fault)
    record = watch.at_kill(shot.at_ms)
    restart = await start_bot(config_path, 2, log)
    try:
        code = await restart.wait()
    finally:
        await reap(restart)
    if code != 0:
        failure = f"restart exited {code}:\n{log_tail(log)}"
        return Trial(chain, number, plan, shot.killed, KillPoint.NO_ORDER, restart_code=code, problems=(failure,))
    await asyncio.sleep(max(0.0, plan.landed_by(shot.at_ms) - time.time() * 1000) / 1000)  # a held order lands
    history = VenueHistory.read(sim, list(HEDGES.values()))
    with open_reader(watch.path) as reader:
        orders = reader.orders(limit=1_000_000)
        fills = reader.fills(limit=1_000_000)
        explained = {venue_symbol(p.symbol): p.contracts for p in reader.explained_positions()}
        last_cycle = reader.last_cycles(1)[0].latest_at
    problems = [
        *double_live_orders(history, orders),
        *limit_breaches(history, holdings, load_config(config_path)),
        *journal_disagreements(history, orders, fills, explained, last_cycle),
    ]
    point = kill_point(record, sim.requests, list(history.orders))
    since_row = round(record.at_ms - record.row_ms, 2) if record.row_ms is not None else None
    return Trial(chain, number, plan, shot.killed, point, since_row, problems=tuple(map(str, problems)))


async def _frozen(sim: SimServer, watch: JournalWatch) -> set[str]:
    """Venue symbols the next run will find frozen: an order of unknown outcome the venue never got keeps its
    symbol frozen for the executor's grace period. When every symbol would be, wait for the first to thaw: a run
    with nothing to place cannot be killed placing."""
    now = time.time() * 1000
    at_venue = {o.link_id for o in sim.engine.venue.orders}
    thaw: dict[str, float] = {}
    for cid, symbol, at_ms in watch.unknown():
        if cid not in at_venue:
            thaw[venue_symbol(symbol)] = max(thaw.get(venue_symbol(symbol), 0), at_ms + GRACE_MS + STARTUP_MS)
    frozen = {symbol for symbol, until in thaw.items() if until > now}
    if frozen == set(HEDGES.values()):
        await asyncio.sleep((min(thaw.values()) - now) / 1000)
        return await _frozen(sim, watch)
    return frozen


def _change_holdings(
    sim: SimServer, rng: random.Random, holdings: dict[str, list[tuple[int, Decimal]]]
) -> dict[str, Decimal]:
    """Deposit or withdraw each asset (growing near the low bound, shrinking near the high one) so the next run has
    3 500-10 000 USDT of new orders per instrument to place beyond cancelling our resting ones; returns that value
    per venue symbol."""
    engine = sim.engine
    values = {}
    for asset, symbol in HEDGES.items():
        current = holdings[symbol][-1][1]
        low, high = BOUNDS[asset]
        value = D(rng.randint(3500, 10000))
        change = (value / mark(sim, symbol)).quantize(LOTS[asset])
        resting = {side: D(0) for side in Side}
        for order in engine.venue.orders.open_orders(symbol=symbol):
            resting[order.side] += order.leaves_qty
        shrunk = current - change - resting[Side.SELL]
        grow = current <= low or shrunk < low / 2 or (current < high and rng.random() < 0.5)
        if grow:
            engine.deposit(asset, change + resting[Side.BUY])
            holdings[symbol].append((engine.now_ms(), current + change + resting[Side.BUY]))
        else:
            engine.withdraw(asset, current - shrunk)
            holdings[symbol].append((engine.now_ms(), shrunk))
        values[symbol] = value
    return values


def _values(sim: SimServer, balances: dict[str, Decimal]) -> dict[str, Decimal]:
    return {symbol: balances[asset] * mark(sim, symbol) for asset, symbol in HEDGES.items()}


def mark(sim: SimServer, symbol: str) -> Decimal:
    """The venue's mark price of a perpetual (venue symbol) now."""
    venue = sim.engine.venue
    return venue.mark(venue.linear(symbol), sim.engine.now_ms())


def distribution(trials: list[Trial], seed: int) -> str:
    """Where the kills landed: totals, by kill mode, and each trial (ms after the run's newest order row)."""
    by_point = Counter(str(t.point) if t.killed else "not killed (the run placed fewer orders)" for t in trials)
    by_mode = Counter((t.plan.mode.value, str(t.point)) for t in trials if t.killed)
    lines = [f"crash trials: seed {seed}, {len(trials)} trials, {sum(t.killed for t in trials)} killed mid-run"]
    lines += [f"  {count:3}  {point}" for point, count in by_point.most_common()]
    lines += [f"  {count:3}  killed {mode}: {point}" for (mode, point), count in sorted(by_mode.items())]
    for t in trials:
        since = f"{t.since_row_ms:8.2f} ms after the row" if t.since_row_ms is not None else "no order row"
        lines.append(
            f"  chain {t.chain} trial {t.number:2}: {t.plan.mode.value:9} k={t.plan.nth_order} "
            f"delay {t.plan.delay * 1000:7.2f} ms -> {since}: {t.point if t.killed else 'not killed'} "
            f"({t.seconds:.1f} s)"
        )
    return "\n".join(lines)
