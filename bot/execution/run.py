"""One run of the bot on one venue: who it is, what it talks to, what it has learned, and the actions every phase takes.

A ``Run`` is the state start-up (``bot.execution.startup``), the cycle pipeline (``bot.execution.cycle``), the loop
(``bot.execution.loop``) and the error policy (``bot.execution.supervisor``) share: the venue's markets and the
leverage set on each instrument, the core's and the risk engine's state, the stop and halt requests. Its actions
are the ones any of them may need: journal a trading-state change, set an instrument up before its first order,
cancel our resting orders, halt, pause, end the run. Its ``alerts`` (``bot.execution.alerting``) are what it tells
the people watching it. It neither starts up nor runs a cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import structlog

from bot.alerts.settings import AlertSettings
from bot.alerts.sink import AlertSink, NoAlerts
from bot.clock import Clock
from bot.core.cycle import CoreState, plan_cycle
from bot.core.plan import Plan
from bot.core.sweep import stale_orders
from bot.domain import ZERO, CancelIntent, Market, Order, ReasonCode, Snapshot, our_resting
from bot.errors import ExchangeError, HaltRequested, PreflightError, ReconciliationError
from bot.exchange.port import ExchangePort, VenueReader
from bot.exchange.preflight import run_preflight
from bot.execution.alerting import RunAlerts
from bot.execution.deadman import DeadMan
from bot.execution.executor import Executor
from bot.execution.ids import ClientOrderIds
from bot.execution.interrupts import Interrupts
from bot.execution.outage import VENUE_DOWN, OutageWatch
from bot.execution.portfolio import Portfolio
from bot.execution.reading import QUOTE, SnapshotReader, hedge_symbols, preflight_plan
from bot.execution.reconcile import ReconcileReport, reconcile, sync_history
from bot.execution.wallets import HoldingsWallets
from bot.journal.writer import Journal
from bot.risk.state import RiskState, StateEvent, Trigger, apply_events
from bot.settings import CoreSettings, Settings

log = structlog.get_logger(__name__)

# snapshot + state -> plan + state: the policy's plan (``plan_cycle``) or, for `hedgebot unwind`, ``plan_unwind``.
PlanFunction = Callable[[CoreSettings, Snapshot, CoreState, datetime], tuple[Plan, CoreState]]


@dataclass(frozen=True, slots=True)
class RunOptions:
    cycles: int | None = None  # None: until stopped
    adopt: bool = False  # take the venue's positions as they are when the journal cannot explain them
    resume: bool = False  # the operator lifts a HALTED or REDUCING state left by an earlier run
    command: str = "hedgebot run"  # the command line that started the run (journaled with an operator resume)
    reconcile_every: int = 10  # cycles between reconciliations (also at start-up)
    unattended: bool = False  # orders go out without a person approving them (approval "auto")


class Run:
    """One venue, one run: its settings, ports and identity, what it has learned so far, and shared actions."""

    def __init__(
        self,
        settings: Settings,
        port: ExchangePort,
        journal: Journal,
        clock: Clock,
        *,
        run_id: str,
        planner: PlanFunction = plan_cycle,
        kill_switch: Path | None = None,
        alerts: AlertSink | None = None,
        alert_settings: AlertSettings | None = None,
        wallets: Mapping[str, VenueReader] | None = None,
        interrupts: Interrupts | None = None,
        portfolio: Portfolio | None = None,
    ) -> None:
        self.settings = settings
        self.venue = settings.venue.name
        self.port = port
        self.journal = journal
        self.clock = clock
        self.run_id = run_id
        self.planner = planner  # what this run decides with: the policy's plan, or the unwind's
        self.kill_switch = kill_switch if kill_switch is not None else settings.kill_switch_file
        # what the run alerts on, through ``alerts`` (the notifier, which only queues; none: no alerts)
        self.alerts = RunAlerts(alerts or NoAlerts(), alert_settings, settings, journal, clock)
        self.ids = ClientOrderIds(run_id)
        self.executor = Executor(
            port,
            journal,
            self.ids,
            clock,
            run_id=run_id,
            max_post_only_retries_per_minute=settings.execution.max_post_only_retries_per_minute,
            passive_offset_ticks=settings.execution.passive_offset_ticks,
        )
        # the venues used only for holdings (their read half), read with every snapshot
        self.wallets = HoldingsWallets(wallets or {}, exclude=settings.core.holdings.exclude, quote=QUOTE)
        self.reader = SnapshotReader(settings, port, clock, self.wallets if wallets else None)
        self.markets: dict[str, Market] = {}
        self.leverage: dict[str, Decimal] = {}  # per instrument, as set (and read back) at the venue
        self.wallet_assets: set[str] = set()  # the venue wallet's assets, as last read
        self.core_state = CoreState()
        self.risk_state = RiskState()
        self.started = False  # the run's start is journaled (after the preflight passed)
        # stop and halt requests (signals, the kill-switch file); one for every venue's desk in a process
        self.interrupts = interrupts if interrupts is not None else Interrupts(self.kill_switch)
        # every desk's hedge, for the limits that hold for the whole portfolio; one for every desk in a process
        self.portfolio = portfolio if portfolio is not None else Portfolio((self.venue,))
        watchdog = settings.watchdog
        self.deadman = DeadMan(
            port,
            journal,
            clock,
            run_id,
            window=watchdog.window,
            exchange_switch=watchdog.exchange_switch,
            on_arm=self.alerts.switch_armed,
        )  # the heartbeat and the venue's switch: started (``protect``) once the run may trade
        self.orders_left = False  # a cycle may have left orders of ours resting (none after cancel_our_orders)
        # a venue that cannot be read pauses trading; past risk.max_outage it is alerted (``bot.execution.outage``)
        self.outage = OutageWatch(journal, run_id, self.venue, settings.execution.max_outage, self.alerts.notify)

    def hedge_symbols(self) -> tuple[str, ...]:
        """The listed perpetuals this run hedges with or still manages, for the holdings last seen."""
        return hedge_symbols(self.settings.core, self.wallet_assets, self.core_state.planner.managed, self.markets)

    async def read_snapshot(self, *, refresh_history: bool = False, with_market: bool = True) -> Snapshot:
        """One snapshot of the venue for what the run hedges now (``with_market=False``: the account only, its
        tickers and books read later by ``reader.read_market``, right before pricing)."""
        managed = self.core_state.planner.managed
        return await self.reader.read(
            self.wallet_assets, managed, self.markets, refresh_history=refresh_history, with_market=with_market
        )

    def apply(self, events: Iterable[StateEvent]) -> None:
        """Apply trading-state events; journal and log every change."""
        self.risk_state, changes = apply_events(self.risk_state, events)
        self.alerts.state_changed(changes)
        for change in changes:
            self.journal.record_state_change(self.run_id, change)
            log.warning(
                "risk.state_changed",
                before=change.before.trading,
                after=change.after.trading,
                trigger=change.event.trigger,
                detail=change.event.detail,
            )

    async def prepare_instruments(self, symbols: set[str]) -> None:
        """Position mode, margin mode and leverage (read back) before the first order on an instrument."""
        new = sorted(symbols - set(self.leverage))
        if not new:
            return
        plan = replace(preflight_plan(self.settings), hedge_symbols=tuple(new), max_clock_skew=None)
        try:
            report = await run_preflight(self.port, plan, self.clock)
        except PreflightError:
            log.exception("instrument.setup_failed", symbols=new)
            raise
        self.leverage.update(report.leverage)

    async def reconcile(self, *, adopt: bool = False) -> ReconcileReport:
        """The journal against the venue (``bot.execution.reconcile``); a position it cannot explain raises
        ``ReconciliationError`` and is alerted, a reconciliation that passes clears that alert."""
        try:
            report = await reconcile(
                self.port, self.journal, self.executor, self.clock,
                symbols=self.hedge_symbols(), markets=self.markets, run_id=self.run_id, adopt_positions=adopt,
            )  # fmt: skip
        except ReconciliationError as exc:
            self.alerts.reconciliation_failed(str(exc))
            raise
        self.alerts.reconciled()
        return report

    async def protect(self) -> str:
        """Start the heartbeat and arm the venue's switch (``DeadMan``) once the run may trade; says which
        protection is active, in one line. ``end`` stops it."""
        await self.deadman.start(self.hedge_symbols)
        return self.deadman.describe()

    async def sweep(self, orders: Sequence[Order], when: str, keep: Iterable[str] = ()) -> None:
        """Cancel our resting orders older than ``execution.max_order_age`` (at start-up, and after every cycle:
        those the planner held, e.g. on stale data)."""
        placed = {o.client_order_id: o.created_at for o in self.journal.unresolved_orders(self.venue)}
        max_age = self.settings.execution.max_order_age
        for cancel in stale_orders(orders, self.clock.now(), max_age, placed=placed, keep=set(keep)):
            log.warning("orders.stale", client_order_id=cancel.client_order_id, when=when, note=cancel.note)
            await self.executor.cancel(cancel)

    async def cancel_our_orders(self, reason: str) -> int:
        """Cancel every resting order of ours on the hedge instruments; positions are kept."""
        ours = our_resting(await self.port.fetch_open_orders(self.hedge_symbols()))
        for order in ours:
            await self.executor.cancel(
                CancelIntent(order.symbol, order.client_order_id, order.order_id, ReasonCode.UNWIND, reason)
            )
        log.info("orders.cancelled_all", count=len(ours), reason=reason)
        self.orders_left = False
        return len(ours)

    async def halt(self, detail: str, trigger: Trigger = Trigger.KILL_SWITCH) -> str:
        """HALTED at once: journal the state change, cancel our resting orders, keep positions. Returns "" once
        they are cancelled, or why they could not be (the venue cannot be read: they stay on the book)."""
        self.apply([StateEvent(trigger, detail)])
        try:
            await self.cancel_our_orders(f"halted: {detail}")
        except VENUE_DOWN as exc:
            log.error("halt.orders_not_cancelled", error=str(exc))
            return str(exc)
        return ""

    async def positions(self, symbols: Iterable[str] | None = None) -> dict[str, Decimal]:
        """Non-zero positions on ``symbols`` (default: the hedge instruments), read from the venue now."""
        read = await self.port.fetch_positions(tuple(symbols) if symbols is not None else self.hedge_symbols())
        return {symbol: p.contracts for symbol, p in sorted(read.items()) if p.contracts != ZERO}

    async def pause(self, seconds: float) -> None:
        """Wait between cycles: ``seconds``, or less if a stop or halt (signal or kill-switch file) is requested;
        a halt raises HaltRequested."""
        await self.interrupts.wait(seconds=seconds)
        self.raise_if_halt_requested()

    def raise_if_halt_requested(self) -> None:
        if self.interrupts.halt.is_set():
            raise HaltRequested(self.interrupts.halt_reason)

    async def end(self, exit_code: int, reason: str) -> None:
        """Record the run as ended, after syncing fills and funding once more: every fill of ours made up to now
        (after the last cycle's sync, or as our orders were cancelled) is in the journal when the run ends. A run
        whose start was never journaled (the preflight refused it) has nothing to end."""
        if not self.started:
            return
        await self.deadman.stop(disarm=not self.orders_left)
        try:
            await sync_history(self.port, self.journal, self.hedge_symbols(), self.markets, now=self.clock.now())
        except ExchangeError as exc:  # the next start's reconciliation records them
            log.warning("run.final_sync_failed", error=str(exc))
        self.journal.stop_run(self.run_id, exit_code=exit_code, reason=reason)
