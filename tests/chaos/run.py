"""One chaos run: the simulator in this process, the bot in its own, the schedule played, the invariants watched.

The simulator replays the profile's market in real time at ``speed``; the bot runs unattended against it
(``Supervisor``); each scheduled fault is applied when its time comes (``World``), kills and restarts included; the
``Monitor`` checks the invariants every ``check_every`` seconds. When the schedule is over, every fault is lifted
and the bot gets ``bound`` seconds to be back within its band; then it is stopped (SIGTERM) and everything is
checked once more. The summary says what happened and whether any invariant broke.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import load_config
from bot.domain import is_ours
from hedgesim import SimConfig, SimExchange, running_sim
from hedgesim.orders import ExecType
from tests.chaos.monitor import Monitor
from tests.chaos.schedule import Fault, Kind, Schedule, Transfer, build
from tests.chaos.soak import Resources, journal_growth
from tests.chaos.supervisor import Supervisor
from tests.chaos.world import PROFILES, World
from tests.support.bot_process import BOT
from tests.support.invariants import Invariant, Violation

SOAK_SAMPLE = "2022-06-3ac-crash"  # nine days of data: a week fits
CONFIG = """\
# Written by the chaos harness (tests/chaos): the bot unattended against the simulator at {url}.
[venues.main]
exchange = "bybit"
mode = "sim"
url = "{url}"
client_rate_limit = false
timeout_seconds = 3

[holdings]
venues = ["main"]

[policy]
ratio = 1

[execution]
leverage = 1
interval = "1s"
slice_max_notional = 3000
reprice_threshold_bps = 20
max_reprices_per_minute = 30

[risk]
max_hedge_ratio = 1
max_order_notional = 3500
max_total_hedge_notional = 120000
max_orders_per_minute = 100
max_daily_turnover = 5000000
max_daily_funding_cost = 10000
max_data_age = "10s"
max_outage = "15s"
kill_switch_file = "{folder}/hedgebot.halt"

[approval]
mode = "auto"

[journal]
path = "{folder}/journal.sqlite"

[logging]
level = "info"
format = "json"
"""


@dataclass(frozen=True, slots=True)
class Options:
    out: Path = Path(".chaos")  # logs, the journal, summary.json
    seed: int = 1
    hours: float = 24.0  # simulated
    speed: float = 60.0  # historical seconds per wall second
    sample: str = "2025-10-liquidation-cascade"  # a key of ``PROFILES``; the soak's is SOAK_SAMPLE
    kinds: frozenset[Kind] = frozenset(Kind)
    intensity: float = 1.0  # times the faults per simulated hour of ``schedule.RATES``
    bound: float = 60.0  # wall seconds the bot may stay out of band once nothing disturbs it
    check_every: float = 2.0  # wall seconds between checks
    soak: bool = False  # no kills; the bot's memory and open files sampled, the journal's growth measured
    runner: Sequence[str] = BOT  # how the bot is run (a seeded bug runs a patched copy)
    schedule: Schedule | None = None  # a schedule of one's own instead of the seeded one
    fail_fast: bool = False  # end the run at the first violation


@dataclass(frozen=True, slots=True)
class Summary:
    options: Options
    hours: float  # simulated, as the schedule ran
    wall_seconds: float
    faults: dict[str, int]
    restarts: int
    refusals: int
    orders: int
    fills: int
    violations: tuple[Violation, ...]
    out_of_band_hours: float
    longest_recovery: float
    checks: int
    resources: Resources | None = None
    journal_rows: dict[str, list[int]] = field(default_factory=dict)  # per table, rows per simulated day

    @property
    def ok(self) -> bool:
        return not self.violations

    def line(self) -> str:
        o = self.options
        faults = ", ".join(f"{kind} {n}" for kind, n in sorted(self.faults.items(), key=lambda kv: (-kv[1], kv[0])))
        return (
            f"chaos seed {o.seed}: {self.hours:g} h simulated at {o.speed:g}x ({self.wall_seconds / 60:.1f} min): "
            f"{sum(self.faults.values())} faults of {len(self.faults)} kinds ({faults}); {self.restarts} restarts"
            f" ({self.refusals} refused while the venue was unreadable); {self.orders} orders, {self.fills} fills;"
            f" {len(self.violations)} invariant violations; out of band {self.out_of_band_hours:.2f} h"
            f" ({self.out_of_band_hours / (self.wall_seconds * o.speed / 3600):.1%} of the run), longest recovery {self.longest_recovery:.0f} s"
            f" (bound {o.bound:g} s)"
        )

    def as_json(self) -> dict[str, object]:
        o = self.options
        return {
            "seed": o.seed,
            "hours": self.hours,
            "speed": o.speed,
            "sample": o.sample,
            "wall_seconds": round(self.wall_seconds, 1),
            "faults": self.faults,
            "restarts": self.restarts,
            "refusals": self.refusals,
            "orders": self.orders,
            "fills": self.fills,
            "violations": [{"invariant": str(v.invariant), "detail": v.detail} for v in self.violations],
            "out_of_band_hours": round(self.out_of_band_hours, 3),
            "longest_recovery_seconds": round(self.longest_recovery, 1),
            "journal_checks": self.checks,
            "resources": self.resources.as_json() if self.resources else None,
            "journal_rows_per_simulated_day": self.journal_rows,
            "line": self.line(),
        }


def write_config(folder: Path, url: str) -> Path:
    path = folder / "hedgebot.toml"
    path.write_text(CONFIG.format(url=url, folder=folder.resolve()), encoding="utf-8")
    return path


async def run(options: Options) -> Summary:
    profile = PROFILES[options.sample]
    out = options.out
    out.mkdir(parents=True, exist_ok=True)
    for stale in ("journal.sqlite", "journal.sqlite-wal", "journal.sqlite-shm", "bot.log", "summary.json"):
        (out / stale).unlink(missing_ok=True)
    kinds = options.kinds - {Kind.KILL} if options.soak else options.kinds
    schedule = options.schedule or build(
        options.seed, options.hours, options.speed, tuple(profile.holdings), kinds, options.intensity
    )
    engine = SimExchange.realtime(
        SimConfig(
            sample=profile.sample,
            start=profile.start,
            speed=options.speed,
            balances={"USDT": profile.usdt, **profile.holdings},
            rate_limits=False,
            seed=options.seed,
        )
    )
    async with running_sim(engine=engine) as sim:
        config_path = write_config(out, sim.url)
        world = World(sim, profile)
        journal = out / "journal.sqlite"
        monitor = Monitor(sim, world, load_config(config_path), journal, options.speed, options.bound)
        supervisor = Supervisor(
            config_path,
            journal,
            out / "bot.log",
            world.disturb,
            lambda since: world.faulted_until >= since,
            monitor.add,
            options.runner,
        )
        resources = Resources() if options.soak else None
        started = time.time()
        try:
            await supervisor.start()
            faults = await _play(schedule, options, world, monitor, supervisor, resources, started)
            await _recover(options, world, monitor, supervisor, resources, started)
        except BaseException:
            await supervisor.abort()
            raise
        code = await supervisor.stop()
        if code != 0:
            monitor.add(Violation(Invariant.KEEPS_TRADING, f"the bot exited {code} when asked to stop (SIGTERM)"))
        monitor.final(time.time())
        ours = [o for o in sim.engine.venue.orders if is_ours(o.link_id)]
        fills = [e for e in sim.engine.executions if e.exec_type is ExecType.TRADE and is_ours(e.link_id)]
    summary = Summary(
        options=options,
        hours=round(schedule.wall_seconds * options.speed / 3600, 2),
        wall_seconds=time.time() - started,
        faults=dict(faults),
        restarts=supervisor.restarts,
        refusals=supervisor.refusals,
        orders=len(ours),
        fills=len(fills),
        violations=tuple(monitor.violations),
        out_of_band_hours=monitor.band.out_of_band_seconds / 3600,
        longest_recovery=monitor.band.longest_recovery,
        checks=monitor.checks,
        resources=resources,
        journal_rows=journal_growth(journal, started, options.speed) if options.soak else {},
    )
    (out / "summary.json").write_text(json.dumps(summary.as_json(), indent=2) + "\n", encoding="utf-8")
    return summary


async def _play(
    schedule: Schedule,
    options: Options,
    world: World,
    monitor: Monitor,
    supervisor: Supervisor,
    resources: Resources | None,
    started: float,
) -> Counter[str]:
    """Apply every fault and holdings change when its time comes, checking the invariants as the run goes."""
    events: list[Fault | Transfer] = sorted([*schedule.faults, *schedule.transfers], key=lambda e: e.at)
    counts: Counter[str] = Counter()
    kills: set[asyncio.Task[None]] = set()
    next_check = started
    while (now := time.time()) - started < schedule.wall_seconds:
        if options.fail_fast and monitor.violations:
            break
        if (event := _next_due(events, now - started, monitor)) is not None:
            events.remove(event)
            if isinstance(event, Transfer):
                world.transfer(event, now)
                continue
            if event.kind is Kind.KILL:
                task = asyncio.create_task(supervisor.kill(event), name="chaos-kill")
                kills.add(task)
                task.add_done_callback(kills.discard)
            else:
                world.apply(event, now)
            counts[event.kind.value] += 1
            continue
        world.close_windows(now)
        if now >= next_check:
            monitor.tick(now, supervisor.alive)
            if resources is not None and supervisor.pid is not None:
                resources.sample(supervisor.pid, now - started)
            next_check = now + options.check_every
        await asyncio.sleep(0.05)
    if kills:
        await asyncio.gather(*kills)
    return counts


def _next_due(events: list[Fault | Transfer], elapsed: float, monitor: Monitor) -> Fault | Transfer | None:
    """The first event whose time has come; a transfer ``once_hedged`` waits (letting later ones by) until the
    checks have seen every hedge in its band."""
    hedged = monitor.checks > 0 and monitor.in_band()
    for event in events:
        if event.at > elapsed:
            return None
        if hedged or not (isinstance(event, Transfer) and event.once_hedged):
            return event
    return None


async def _recover(
    options: Options,
    world: World,
    monitor: Monitor,
    supervisor: Supervisor,
    resources: Resources | None,
    started: float,
) -> None:
    """Lift every fault; give the bot ``bound`` seconds (and the checks their settling cycles) to be in band."""
    now = time.time()
    monitor.tick(now, supervisor.alive)
    world.close_windows(now, everything=True)
    world.disturb(now)
    deadline = now + options.bound + 10
    checks = monitor.checks
    while (now := time.time()) < deadline and not (options.fail_fast and monitor.violations):
        await asyncio.sleep(options.check_every)
        monitor.tick(time.time(), supervisor.alive)
        if resources is not None and supervisor.pid is not None:
            resources.sample(supervisor.pid, now - started)
        if monitor.in_band() and monitor.checks > checks:
            return
