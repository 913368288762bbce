"""The real bot against the in-process simulator, sharing one manual clock: deterministic end-to-end runs.

Wired as the CLI wires it (``wire``: a ``Run`` and its ``CyclePipeline``); started by ``start_run``, looped by
``run_cycles`` and, for a whole run, under the CLI's error policy (``Harness.supervised``).

The bot talks to the simulator over HTTP on 127.0.0.1 through the real ccxt client (only ``urls['api']``
pointed at it); the simulator's manual clock is the bot's clock too, so data ages are real and time moves only
when the test says so.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.alerts.factory import alert_settings
from bot.alerts.notifier import RetryPolicy as AlertRetryPolicy
from bot.alerts.notifier import alert_notifier
from bot.alerts.settings import AlertSettings
from bot.alerts.sink import AlertSink
from bot.cli.venue import connect
from bot.clock import Clock
from bot.config import AppConfig, parse_config
from bot.core.cycle import plan_cycle
from bot.exchange.factory import build_exchange
from bot.exchange.port import ExchangePort
from bot.exchange.retry import RetryPolicy
from bot.execution.approval import Approver, AutoApprover
from bot.execution.cycle import CyclePipeline
from bot.execution.loop import run_cycles
from bot.execution.reconcile import ReconcileReport
from bot.execution.run import PlanFunction, Run, RunOptions
from bot.execution.startup import start_run
from bot.execution.summary import CycleOutcome
from bot.execution.supervisor import RunEnd, supervise
from bot.journal.writer import Journal, open_journal
from bot.paper.store import dry_run_journal
from bot.settings.from_config import settings_for
from hedgesim import SimConfig, SimExchange, SimServer, running_sim

SOL = "SOL/USDT:USDT"
D = Decimal


def bot_config(
    url: str,
    tmp_path: Path,
    venue: Mapping[str, Any] | None = None,
    secrets: Mapping[str, str] | None = None,
    **sections: Mapping[str, Any],
) -> AppConfig:
    """A sim-venue configuration with auto approval; ``venue`` and ``sections`` merge over the defaults; ``secrets``:
    the environment's (e.g. an alert destination's URL)."""
    data: dict[str, Any] = {
        "venues": {
            "main": {"exchange": "bybit", "mode": "sim", "url": url, "client_rate_limit": False, **(venue or {})}
        },
        "holdings": {"venues": ["main"]},
        "policy": {"ratio": 1},
        "execution": {"interval": "30s"},
        "approval": {"mode": "auto"},
        "journal": {"path": str(tmp_path / "journal.sqlite")},
        "risk": {"kill_switch_file": str(tmp_path / "hedgebot.halt")},
    }
    for name, values in sections.items():
        data[name] = {**data.get(name, {}), **values}
    return parse_config(data, env=dict(secrets or {}))


@dataclass
class Harness:
    sim: SimServer
    engine: SimExchange
    config: AppConfig
    port: ExchangePort
    journal: Journal
    pipeline: CyclePipeline  # the cycle pipeline of the current run (``pipeline.run``)
    alerts: AlertSink | None = None  # where the runs' alerts go (the notifier of ``[alerts]``), if anywhere

    @property
    def run(self) -> Run:
        return self.pipeline.run

    async def start(self, options: RunOptions | None = None) -> ReconcileReport:
        """The run's start-up, as `hedgebot run` starts it (fails closed: raises if the bot must not trade)."""
        return await start_run(self.run, options or RunOptions())

    async def cycle(self, wait: timedelta = timedelta(seconds=30)) -> CycleOutcome:
        """One bot cycle, then market time passes (resting orders may fill, funding may settle)."""
        outcome = await self.pipeline.run_cycle()
        self.sim.advance(wait)
        return outcome

    async def cycles(self, count: int, wait: timedelta = timedelta(seconds=30)) -> list[CycleOutcome]:
        return [await self.cycle(wait) for _ in range(count)]

    async def run_cycles(self, options: RunOptions) -> int:
        """The loop, as `hedgebot run` runs it after start-up (the pause between cycles in real time)."""
        return await run_cycles(self.pipeline, options)

    async def supervised(self, options: RunOptions | None = None) -> RunEnd:
        """A whole run under the error policy, as `hedgebot run` runs it: start-up, then the loop."""
        options = options or RunOptions()

        async def work() -> int:
            await start_run(self.run, options)
            return await run_cycles(self.pipeline, options)

        return await supervise(self.run, work)

    def position(self, venue_symbol: str = "SOLUSDT") -> Decimal:
        """The simulator's own record of the position (signed contracts), not what the bot believes."""
        view = self.engine.position(venue_symbol)
        return view.position.size if view.position is not None else D(0)

    def leverage(self, venue_symbol: str = "SOLUSDT") -> Decimal:
        return self.engine.position(venue_symbol).leverage

    def now(self) -> datetime:
        return self.engine.clock.now()

    def asking(self, approver: Approver) -> Harness:
        """The same run, its cycles approved by ``approver`` (a person at a terminal, or a script) from now on."""
        self.pipeline = CyclePipeline(self.run, approver)
        return self

    def restart(self, run_id: str, planner: PlanFunction | None = None) -> Harness:
        """A new run of the bot against the same venue and journal (as after a process restart)."""
        self.pipeline = wire(self.config, self.port, self.journal, self.engine.clock, run_id, planner, self.alerts)
        return self


def wire(
    config: AppConfig,
    port: ExchangePort,
    journal: Journal,
    clock: Clock,
    run_id: str,
    planner: PlanFunction | None = None,
    alerts: AlertSink | None = None,
) -> CyclePipeline:
    """A run on venue "main" and its cycle pipeline, approving automatically, as the CLI wires them (planner: the
    policy's, ``plan_cycle``, unless given; alerts to ``alerts`` under the configuration's ``[alerts]``)."""
    settings = settings_for(config, "main")
    alerting: AlertSettings = alert_settings(config)
    run = Run(
        settings, port, journal, clock, run_id=run_id, planner=planner or plan_cycle, alerts=alerts,
        alert_settings=alerting,
    )  # fmt: skip
    return CyclePipeline(run, AutoApprover())


@asynccontextmanager
async def running_bot(
    tmp_path: Path,
    *,
    balances: Mapping[str, Decimal],
    start: datetime | None = None,
    sample: str = "2025-10-liquidation-cascade",
    options: RunOptions | None = None,
    planner: PlanFunction | None = None,
    start_loop: bool = True,
    venue: Mapping[str, Any] | None = None,
    retry: RetryPolicy | None = None,
    secrets: Mapping[str, str] | None = None,
    alert_policy: AlertRetryPolicy | None = None,
    alert_sink: Callable[[AlertSink], AlertSink] | None = None,
    dry_run: bool = False,
    **sections: Mapping[str, Any],
) -> AsyncIterator[Harness]:
    """The bot against a simulator; alerts go to the destinations ``[alerts]`` configures (their URLs in ``secrets``)
    through a running notifier (``alert_policy``: its retries), seen through ``alert_sink`` if given. ``dry_run``:
    wired as `hedgebot run --dry-run` wires it (``bot.cli.venue.connect``), the simulator's read half and a paper
    venue, its journal ``journal.dry-run.sqlite``. ``retry``: the exchange adapter's retries (not the dry run's)."""
    engine = SimExchange.deterministic(
        SimConfig(sample=sample, start=start, balances=dict(balances), rate_limits=False)
    )
    async with running_sim(engine=engine) as sim, AsyncExitStack() as stack:
        config = bot_config(sim.url, tmp_path, venue, secrets, **sections)
        clock = engine.clock
        path = tmp_path / "journal.sqlite"
        journal = open_journal(dry_run_journal(path) if dry_run else path, clock)
        stack.callback(journal.close)
        settings = settings_for(config, "main")
        if dry_run:
            port = await stack.enter_async_context(
                connect(settings, config.credentials("main"), clock, paper=dry_run_journal(path))
            )
        else:
            port = build_exchange(
                settings.venue, config.credentials("main"), clock, margin_mode=config.execution.margin_mode, retry=retry
            )
            stack.push_async_callback(port.close)
        notifier = await stack.enter_async_context(alert_notifier(alert_settings(config), alert_policy, journal))
        sink = alert_sink(notifier) if alert_sink else notifier
        pipeline = wire(config, port, journal, clock, "e2etst", planner, sink)
        harness = Harness(sim, engine, config, port, journal, pipeline, sink)
        if start_loop:
            await harness.start(options)
        yield harness
