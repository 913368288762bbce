"""Run a hedger through a stretch of replayed market, step by step on the simulator's own clock, and record it.

``replay`` is the driver: at each step the hedger runs one cycle (it decides and acts through its port), the
recorder looks at the account, and the simulated market moves on by the step (resting orders fill, funding
settles) with no wall-clock wait. A ``Hedger`` is anything with ``start``, ``cycle`` and ``stop``: ``BotHedger``
is the real loop (same policies, planner, risk gate, executor and journal as ``hedgebot run``, auto-approved);
a benchmark can bring its own.

The recorder reads everything through the port as domain values, never the simulator's books: the hedge's PnL is
rebuilt from the fills (cash flows plus positions at mark), so checking it against the simulator's ledger (as
a test does at every step) checks the bot's view of its money.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

import structlog

from bot.clock import Clock
from bot.core.cycle import CoreState, plan_cycle
from bot.core.plan import Plan
from bot.domain import ZERO, Fill, Market, Position, Snapshot, TradingState
from bot.errors import HaltRequested
from bot.exchange.port import ExchangePort
from bot.execution.approval import AutoApprover
from bot.execution.cycle import CyclePipeline
from bot.execution.run import Run, RunOptions
from bot.execution.startup import start_run
from bot.journal.writer import Journal
from bot.replay.observe import ObservedPort
from bot.replay.record import InstrumentStep, OrderCounts, Recording, Step, Trade
from bot.settings import CoreSettings, Settings
from hedgesim import SimExchange

log = structlog.get_logger(__name__)

COMMAND = "hedgebot replay"


class Hedger(Protocol):
    async def start(self) -> None: ...

    async def cycle(self) -> Mapping[str, Decimal]:
        """Decide and act once; the target contracts per hedge instrument that this cycle steered to."""
        ...

    async def stop(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a replay is: for a progress bar."""

    done: int
    total: int
    market_time: datetime
    fills: int
    step: Step  # the latest recorded


class BotHedger:
    """The real hedging loop, approving automatically, driven one cycle at a time: ``start_run``, then the cycle
    pipeline once per ``cycle``, then the run's end (as ``hedgebot run``, with the driver in place of the pause)."""

    def __init__(self, settings: Settings, port: ExchangePort, journal: Journal, clock: Clock, run_id: str):
        self._targets: dict[str, Decimal] = {}
        self._options = RunOptions(command=COMMAND)
        self.run = Run(settings, port, journal, clock, run_id=run_id, planner=self._plan)
        self.pipeline = CyclePipeline(self.run, AutoApprover())

    def _plan(self, core: CoreSettings, snapshot: Snapshot, state: CoreState, now: datetime) -> tuple[Plan, CoreState]:
        plan, after = plan_cycle(core, snapshot, state, now)
        self._targets = {d.symbol: d.target for d in plan.instruments}
        return plan, after

    async def start(self) -> None:
        await start_run(self.run, self._options)

    async def cycle(self) -> Mapping[str, Decimal]:
        """One cycle, reconciling every ``reconcile_every`` cycles as ``hedgebot run`` does; a halt raises."""
        done, every = self.pipeline.number, self._options.reconcile_every
        await self.pipeline.run_cycle(reconcile_now=done > 0 and done % every == 0)
        if self.run.risk_state.trading is TradingState.HALTED:
            raise HaltRequested(self.run.risk_state.detail or "halted")
        return dict(self._targets)

    async def stop(self) -> None:
        await self.run.end(0, "replay done")


class Recorder:
    """Looks at the account after each cycle through ``port``: holdings at spot, positions, fills and funding."""

    def __init__(self, port: ObservedPort, holdings: Mapping[str, Decimal], markets: Mapping[str, Market]):
        self._port = port
        self._holdings = dict(holdings)
        self._markets = markets
        self._fills: dict[str, Fill] = {}
        self._cash = ZERO  # what the fills paid (< 0) and received for contracts, so far
        self._fees = ZERO
        self._funding: dict[str, Decimal] = {}
        self._since: datetime | None = None  # the previous look: every fill and payment not yet seen is as late
        self._symbols: set[str] = set()
        self.steps: list[Step] = []

    async def record(self, at: datetime, targets: Mapping[str, Decimal]) -> Step:
        inner = self._port.inner
        self._symbols |= set(targets)
        symbols = sorted(self._symbols)
        quotes = await inner.fetch_spot_quotes(sorted(self._holdings))
        spot_value = ZERO
        for asset, quantity in self._holdings.items():
            quote = quotes.get(asset)
            price = (quote.mid or quote.last) if quote else None
            spot_value += quantity * price if price is not None else ZERO
        positions = await inner.fetch_positions(symbols)
        marks = {s: p.mark_price for s, p in positions.items() if p.mark_price is not None}
        if unmarked := [s for s in symbols if s not in marks]:  # flat: the ticker's mark
            marks |= {s: t.mark for s, t in (await inner.fetch_perp_tickers(unmarked)).items()}
        # Every instrument at once, from the previous look (the market only moves on: what came since is as late;
        # what the previous look saw again is known by its id), so one step never misses a fill or payment.
        for fill in await inner.fetch_my_trades(symbols, self._since):
            if fill.trade_id not in self._fills:
                self._fills[fill.trade_id] = fill
                self._cash -= fill.side.sign * self._size(fill.symbol) * fill.amount * fill.price
                self._fees += fill.fee
        for payment in await inner.fetch_funding_payments(symbols, self._since):
            self._funding[payment.payment_id] = payment.amount
        self._since = at
        instruments = tuple(
            _instrument(symbol, positions.get(symbol), marks[symbol], targets, self._markets)
            for symbol in symbols
            if symbol in marks
        )
        held = sum((i.contracts * i.contract_size * i.mark for i in instruments), ZERO)
        step = Step(
            at=at,
            spot_value=spot_value,
            perp_pnl=self._cash + held,
            fees=self._fees,
            funding=sum(self._funding.values(), ZERO),
            instruments=instruments,
            unrealised=sum((p.unrealized_pnl for p in positions.values()), ZERO),
        )
        self.steps.append(step)
        return step

    def trades(self) -> tuple[Trade, ...]:
        return tuple(
            Trade(
                at=f.timestamp,
                symbol=f.symbol,
                side=f.side,
                amount=f.amount,
                price=f.price,
                fee=f.fee,
                maker=f.maker,
                decision_mid=self._port.decision_mid(f.client_order_id),
                contract_size=self._size(f.symbol),
            )
            for f in sorted(self._fills.values(), key=lambda f: (f.timestamp, f.trade_id))
        )

    @property
    def counts(self) -> OrderCounts:
        return self._port.counts

    @property
    def fill_count(self) -> int:
        return len(self._fills)

    def _size(self, symbol: str) -> Decimal:
        market = self._markets.get(symbol)
        return market.contract_size if market else Decimal(1)


def _instrument(
    symbol: str,
    position: Position | None,
    mark: Decimal,
    targets: Mapping[str, Decimal],
    markets: Mapping[str, Market],
) -> InstrumentStep:
    market = markets.get(symbol)
    return InstrumentStep(
        symbol=symbol,
        contracts=position.contracts if position else ZERO,
        target=targets.get(symbol, ZERO),
        mark=mark,
        contract_size=market.contract_size if market else Decimal(1),
        liquidation=position.liquidation_price if position else None,
    )


async def replay(
    engine: SimExchange,
    hedger: Hedger,
    recorder: Recorder,
    *,
    until: datetime,
    step: timedelta,
    band: Decimal,
    on_step: Callable[[Progress], None] | None = None,
) -> Recording:
    """Cycle ``hedger`` every ``step`` of market time from the engine's now until ``until``, recording after each
    cycle and once more at the end. A halt stops the hedger; the market and the recording go on to the end."""
    start = engine.market_time()
    total = max(0, int((until - start) / step))
    notes: list[str] = []
    targets: Mapping[str, Decimal] = {}
    cycling = True
    await hedger.start()
    for done in range(total):
        if cycling:
            try:
                targets = await hedger.cycle()
            except HaltRequested as exc:
                cycling = False
                notes.append(f"the bot halted at {engine.market_time():%Y-%m-%d %H:%M} UTC: {exc}")
                log.warning("replay.halted", reason=str(exc))
        recorded = await recorder.record(engine.clock.now(), targets)
        if on_step is not None:
            on_step(Progress(done, total, engine.market_time(), recorder.fill_count, recorded))
        engine.advance(step)
    recorded = await recorder.record(engine.clock.now(), targets)
    if on_step is not None:
        on_step(Progress(total, total, engine.market_time(), recorder.fill_count, recorded))
    await hedger.stop()
    if (short := until - engine.market_time()) > timedelta(0):  # the window is not a whole number of steps
        notes.append(
            f"the replay ended at {engine.market_time():%Y-%m-%d %H:%M} UTC, {short} before --to "
            f"({until:%Y-%m-%d %H:%M}): the window is not a whole number of steps ({step})"
        )
    return Recording(
        steps=tuple(recorder.steps),
        trades=recorder.trades(),
        counts=recorder.counts,
        band=band,
        step=step,
        notes=tuple(notes),
    )
