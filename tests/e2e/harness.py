"""The real bot loop against the in-process simulator, sharing one manual clock: deterministic end-to-end runs.

The bot talks to the simulator over HTTP on 127.0.0.1 through the real ccxt client (only ``urls['api']``
pointed at it); the simulator's manual clock is the bot's clock too, so data ages are real and time moves only
when the test says so.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.config import AppConfig, parse_config
from bot.core.cycle import plan_with
from bot.exchange.factory import build_exchange
from bot.exchange.port import ExchangePort
from bot.exchange.retry import RetryPolicy
from bot.execution.approval import AutoApprover
from bot.execution.loop import HedgeLoop, LoopOptions, PlanFunction
from bot.execution.summary import CycleOutcome
from bot.journal.writer import Journal, open_journal
from hedgesim import SimConfig, SimExchange, SimServer, running_sim

SOL = "SOL/USDT:USDT"
D = Decimal


def bot_config(
    url: str, tmp_path: Path, venue: Mapping[str, Any] | None = None, **sections: Mapping[str, Any]
) -> AppConfig:
    """A sim-venue configuration with auto approval; ``venue`` and ``sections`` merge over the defaults."""
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
    return parse_config(data, env={})


@dataclass
class Harness:
    sim: SimServer
    engine: SimExchange
    config: AppConfig
    port: ExchangePort
    journal: Journal
    loop: HedgeLoop

    async def cycle(self, wait: timedelta = timedelta(seconds=30)) -> CycleOutcome:
        """One bot cycle, then market time passes (resting orders may fill, funding may settle)."""
        outcome = await self.loop.run_cycle()
        self.sim.advance(wait)
        return outcome

    async def cycles(self, count: int, wait: timedelta = timedelta(seconds=30)) -> list[CycleOutcome]:
        return [await self.cycle(wait) for _ in range(count)]

    def position(self, venue_symbol: str = "SOLUSDT") -> Decimal:
        """The simulator's own record of the position (signed contracts), not what the bot believes."""
        view = self.engine.position(venue_symbol)
        return view.position.size if view.position is not None else D(0)

    def leverage(self, venue_symbol: str = "SOLUSDT") -> Decimal:
        return self.engine.position(venue_symbol).leverage

    def now(self) -> datetime:
        return self.engine.clock.now()

    def restart(self, run_id: str, planner: PlanFunction | None = None) -> HedgeLoop:
        """A new run of the bot against the same venue and journal (as after a process restart)."""
        self.loop = _loop(self.config, self.port, self.journal, self.engine, run_id, planner)
        return self.loop


def _loop(
    config: AppConfig,
    port: ExchangePort,
    journal: Journal,
    engine: SimExchange,
    run_id: str,
    planner: PlanFunction | None,
) -> HedgeLoop:
    return HedgeLoop(
        config, "main", port, journal, engine.clock, AutoApprover(), run_id=run_id, planner=planner or plan_with
    )


@asynccontextmanager
async def running_bot(
    tmp_path: Path,
    *,
    balances: Mapping[str, Decimal],
    start: datetime | None = None,
    sample: str = "2025-10-liquidation-cascade",
    options: LoopOptions | None = None,
    planner: PlanFunction | None = None,
    start_loop: bool = True,
    venue: Mapping[str, Any] | None = None,
    retry: RetryPolicy | None = None,
    **sections: Mapping[str, Any],
) -> AsyncIterator[Harness]:
    engine = SimExchange.deterministic(
        SimConfig(sample=sample, start=start, balances=dict(balances), rate_limits=False)
    )
    async with running_sim(engine=engine) as sim:
        config = bot_config(sim.url, tmp_path, venue, **sections)
        clock = engine.clock
        journal = open_journal(tmp_path / "journal.sqlite", clock)
        port = build_exchange(
            "main",
            config.venues["main"],
            config.credentials("main"),
            clock,
            margin_mode=config.execution.margin_mode,
            retry=retry,
        )
        loop = _loop(config, port, journal, engine, "e2etst", planner)
        harness = Harness(sim, engine, config, port, journal, loop)
        try:
            if start_loop:
                await loop.start(options or LoopOptions())
            yield harness
        finally:
            await port.close()
            journal.close()
