"""The hedging loop: snapshot -> policy -> plan -> risk gate -> approval -> execute -> journal, every interval.

One ``HedgeLoop`` runs one venue for one run. ``start`` fails closed (preflight, then reconciliation);
``run_cycle`` is one pass; ``run`` repeats it until the cycle count is reached, a stop is requested (finish the
cycle, cancel our resting orders, keep positions) or the kill switch fires (cancel our orders, HALTED). Slow
waits (the approver's review, the pause between cycles) give way to a stop or halt at once (``Interrupts``);
``stop`` syncs fills and funding a last time before the run is recorded as ended.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import structlog

from bot.clock import Clock
from bot.config import AppConfig
from bot.core.cycle import CoreState, plan_with
from bot.core.factory import CoreSettings, core_settings
from bot.core.plan import Plan
from bot.core.sweep import stale_orders
from bot.domain import ZERO, CancelIntent, Market, Order, OrderIntent, OrderStatus, ReasonCode, Snapshot, TradingState
from bot.errors import DataError, ExchangeError, HaltRequested, PreflightError, ReconciliationError
from bot.exchange.port import ExchangePort
from bot.exchange.preflight import check_margin, run_preflight
from bot.exchange.snapshot import read_snapshot
from bot.execution.approval import Approval, Approver, Verdict
from bot.execution.deadman import DeadMan
from bot.execution.executor import Executor, Outcome
from bot.execution.guards import WALLET_SOURCE, MissingHoldings, merged, vanished_positions
from bot.execution.ids import ClientOrderIds, is_ours
from bot.execution.interrupts import Interrupts
from bot.execution.leverage import keep_leverage
from bot.execution.outage import JOURNAL_DOWN, VENUE_DOWN, OutageWatch
from bot.execution.reading import QUOTE, hedge_symbols, preflight_plan, snapshot_request
from bot.execution.reconcile import ReconcileReport, reconcile, sync_history
from bot.execution.summary import (
    CycleOutcome,
    blocked_symbols,
    decision_records,
    hedge_notional,
    holdings_value,
    instrument_lines,
    margin_needed,
    reasons_by_holding,
)
from bot.journal.records import CycleRecord
from bot.journal.writer import Journal
from bot.risk.context import RiskContext, RiskHistory, full_hedge_of
from bot.risk.decision import RiskDecision
from bot.risk.gate import decide, evaluate
from bot.risk.kill_switch import check_kill_switch
from bot.risk.limits import RiskLimits
from bot.risk.state import RiskState, StateEvent, Trigger, apply_events, daily_limit_events

log = structlog.get_logger(__name__)

HISTORY_EVERY = 12  # cycles between re-reads of price history for estimated betas

# snapshot + state -> plan + state: the policy's plan (``plan_with``) or, for `hedgebot unwind`, ``plan_unwind``.
PlanFunction = Callable[[CoreSettings, Snapshot, CoreState, datetime], tuple[Plan, CoreState]]


@dataclass(frozen=True, slots=True)
class LoopOptions:
    cycles: int | None = None  # None: until stopped
    adopt: bool = False  # take the venue's positions as they are when the journal cannot explain them
    resume: bool = False  # the operator lifts a HALTED or REDUCING state left by an earlier run
    command: str = "hedgebot run"  # the command line that started the run (journaled with an operator resume)
    reconcile_every: int = 10  # cycles between reconciliations (also at start-up)


class HedgeLoop:
    def __init__(
        self,
        config: AppConfig,
        venue: str,
        port: ExchangePort,
        journal: Journal,
        clock: Clock,
        approver: Approver,
        *,
        run_id: str,
        kill_switch: Path | None = None,
        planner: PlanFunction = plan_with,
    ) -> None:
        self.config = config
        self.venue = venue
        self.port = port
        self.journal = journal
        self.clock = clock
        self.approver = approver
        self.run_id = run_id
        self.kill_switch = kill_switch if kill_switch is not None else config.risk.kill_switch_file
        self.settings = core_settings(config)
        self.planner = planner
        self.limits = RiskLimits.from_config(config.risk)
        self.ids = ClientOrderIds(run_id)
        self.executor = Executor(
            port,
            journal,
            self.ids,
            clock,
            run_id=run_id,
            recheck=self._recheck,
            max_reprices_per_minute=config.execution.max_reprices_per_minute,
            passive_offset_ticks=config.execution.passive_offset_ticks,
        )
        self.markets: dict[str, Market] = {}
        self.leverage: dict[str, Decimal] = {}
        self.core_state = CoreState()
        self.risk_state = RiskState()
        self.cycle_number = 0
        self.started = False  # the run's start is journaled (after the preflight passed)
        self.wallet_assets: set[str] = set()
        self.interrupts = Interrupts(self.kill_switch)  # stop and halt requests (signals, the kill-switch file)
        watchdog = config.watchdog
        self.deadman = DeadMan(
            port, journal, clock, run_id, window=watchdog.window, exchange_switch=watchdog.exchange_switch
        )  # the heartbeat and the venue's switch: started by the driver once the run may trade
        self._orders_left = False  # a cycle may have left orders of ours resting (none after cancel_our_orders)
        self.on_cycle: Callable[[CycleOutcome], None] | None = None  # e.g. the CLI's one line per cycle
        self.outage = OutageWatch(journal, run_id, venue, config.risk.max_outage)  # .alert: the notifier's hook
        self.missing_holdings = MissingHoldings()  # hedged wallet holdings the wallet reply stopped listing
        self._last_snapshot: Snapshot | None = None
        self._last_plan: Plan | None = None
        self._history: Mapping[str, tuple[Decimal, ...]] | None = None

    # -- start-up and shutdown ------------------------------------------------------------------------------

    async def start(self, options: LoopOptions) -> ReconcileReport:
        """Preflight, reconciliation and the run's first journal rows; raises if the bot must not trade."""
        preflight = await run_preflight(self.port, preflight_plan(self.config, self.venue), self.clock)
        self.markets = dict(preflight.markets)
        self.leverage = dict(preflight.leverage)
        self.wallet_assets = {a for a, b in preflight.margin_balances.items() if b.total > 0}
        await self._prepare_instruments(set(self._hedge_symbols()))
        self.journal.start_run(
            self.run_id,
            mode=self.config.venues[self.venue].mode.value,
            config_hash=_config_hash(self.config),
            version=_version(),
            detail={"venue": self.venue, "exchange": self.config.venues[self.venue].exchange},
        )
        self.started = True
        saved = self.journal.latest_policy_state()
        if saved is not None:
            self.core_state = CoreState.from_dict(saved)
        previous = self.journal.latest_risk_state()
        if previous is not None:
            self.risk_state = previous
        if options.resume and (engaged := check_kill_switch(self.kill_switch)) is not None:
            raise HaltRequested(f"cannot resume: {engaged.detail}")
        if options.resume and self.risk_state.trading is not TradingState.ACTIVE:
            self._apply([StateEvent(Trigger.OPERATOR_RESUME, f"operator: {options.command}")])
        try:
            report = await reconcile(
                self.port, self.journal, self.executor, self.clock,
                symbols=self._hedge_symbols(), markets=self.markets, run_id=self.run_id, adopt_positions=options.adopt,
            )  # fmt: skip
            await self._check_margin()
            await self._sweep(await self.port.fetch_open_orders(self._hedge_symbols()), "start-up sweep")
        except DataError as exc:  # refuse to start on a malformed reply; nothing was sent
            raise PreflightError(f"{self.venue}: cannot start from the venue's replies: {exc}") from exc
        except VENUE_DOWN as exc:  # refuse to start (no halt): a supervisor's restart tries again
            raise PreflightError(f"{self.venue}: the venue cannot be read: {exc}") from exc
        return report

    async def _check_margin(self) -> None:
        """Fail closed before the first order: the margin wallet must cover what the targets still need."""
        snapshot = await self._read_snapshot()
        plan, _ = self.planner(self.settings, snapshot, self.core_state, self.clock.now())
        needed = margin_needed(plan, self.markets, self.config.execution.leverage)
        headroom = check_margin(snapshot.balances, needed, QUOTE)
        log.info("preflight.margin", needed=needed, headroom=headroom)

    async def protect(self) -> str:
        """Start the heartbeat and arm the venue's switch (``DeadMan``) once the run may trade; says which
        protection is active, in one line. ``stop`` ends it."""
        await self.deadman.start(self._hedge_symbols)
        return self.deadman.describe()

    async def cancel_our_orders(self, reason: str) -> int:
        """Cancel every resting order of ours on the hedge instruments; positions are kept."""
        orders = await self.port.fetch_open_orders(self._hedge_symbols())
        ours = [o for o in orders if is_ours(o.client_order_id) and o.status is OrderStatus.OPEN]
        for order in ours:
            await self.executor.cancel(
                CancelIntent(order.symbol, order.client_order_id, order.order_id, ReasonCode.UNWIND, reason)
            )
        log.info("orders.cancelled_all", count=len(ours), reason=reason)
        self._orders_left = False
        return len(ours)

    async def _sweep(self, orders: Sequence[Order], when: str, keep: Iterable[str] = ()) -> None:
        """Cancel our resting orders older than ``execution.max_order_age`` (at start-up, and after every cycle:
        those the planner held, e.g. on stale data)."""
        placed = {o.client_order_id: o.created_at for o in self.journal.unresolved_orders(self.venue)}
        max_age = self.config.execution.max_order_age
        for cancel in stale_orders(orders, self.clock.now(), max_age, placed=placed, keep=set(keep)):
            log.warning("orders.stale", client_order_id=cancel.client_order_id, when=when, note=cancel.note)
            await self.executor.cancel(cancel)

    async def stop(self, exit_code: int, reason: str) -> None:
        """Record the run as ended, after syncing fills and funding once more: every fill of ours made up to now
        (after the last cycle's sync, or as our orders were cancelled) is in the journal when the run ends. A run
        whose start was never journaled (the preflight refused it) has nothing to end."""
        if not self.started:
            return
        await self.deadman.stop(disarm=not self._orders_left)
        try:
            await sync_history(self.port, self.journal, self._hedge_symbols(), self.markets, now=self.clock.now())
        except ExchangeError as exc:  # the next start's reconciliation records them
            log.warning("run.final_sync_failed", error=str(exc))
        self.journal.stop_run(self.run_id, exit_code=exit_code, reason=reason)

    async def positions(self, symbols: Iterable[str] | None = None) -> dict[str, Decimal]:
        """Non-zero positions on ``symbols`` (default: the hedge instruments), read from the venue now."""
        read = await self.port.fetch_positions(tuple(symbols) if symbols is not None else self._hedge_symbols())
        return {symbol: p.contracts for symbol, p in sorted(read.items()) if p.contracts != ZERO}

    async def halt(self, detail: str, trigger: Trigger = Trigger.KILL_SWITCH) -> int | None:
        """HALTED at once: journal the state change, cancel our resting orders, keep positions. Returns how many
        were cancelled, or None if the venue could not be read to cancel them (they stay on the book)."""
        self._apply([StateEvent(trigger, detail)])
        try:
            return await self.cancel_our_orders(f"halted: {detail}")
        except VENUE_DOWN as exc:
            log.error("halt.orders_not_cancelled", error=str(exc))
            return None

    # -- the loop -------------------------------------------------------------------------------------------

    async def run(self, options: LoopOptions) -> int:
        """Cycles until the count is done or a stop is requested, then returns 0; a halt raises HaltRequested."""
        interval = self.config.execution.interval.total_seconds()
        stop = self.interrupts.stop
        done = 0
        while options.cycles is None or done < options.cycles:
            self._raise_if_halt_requested()
            await self.run_cycle(reconcile_now=done > 0 and done % options.reconcile_every == 0)
            done += 1
            if self.risk_state.trading is TradingState.HALTED:
                raise HaltRequested(self.risk_state.detail or "halted")
            if stop.is_set() or (options.cycles is not None and done >= options.cycles):
                break
            await self.pause(interval)
            if stop.is_set():
                break
        return 0

    async def pause(self, seconds: float) -> None:
        """Wait between cycles: ``seconds``, or less if a stop or halt (signal or kill-switch file) is requested;
        a halt raises HaltRequested."""
        await self.interrupts.wait(seconds=seconds)
        self._raise_if_halt_requested()

    def _raise_if_halt_requested(self) -> None:
        if self.interrupts.halt.is_set():
            raise HaltRequested(self.interrupts.halt_reason)

    async def run_cycle(self, *, reconcile_now: bool = False) -> CycleOutcome:
        """One cycle; if the venue cannot be read, a paused one that sends nothing (``bot.execution.outage``)."""
        self.cycle_number += 1
        self.ids.start_cycle(self.cycle_number)
        try:
            outcome = await self._cycle(reconcile_now)
        except VENUE_DOWN as exc:
            return await self._paused(exc)
        self.outage.up(self.clock.now())
        return outcome

    async def _paused(self, failure: Exception) -> CycleOutcome:
        """The cycle ends here: nothing more is sent; past risk.max_outage our resting orders are cancelled."""
        outage = await self.outage.down(self.clock.now(), failure, self.cancel_our_orders)
        return self._skipped(JOURNAL_DOWN, f"venue unreadable: {outage.error}")

    async def _cycle(self, reconcile_now: bool) -> CycleOutcome:
        now = self.clock.now()
        events = [event] if (event := check_kill_switch(self.kill_switch)) else []
        if reconcile_now:
            try:
                await reconcile(
                    self.port, self.journal, self.executor, self.clock,
                    symbols=self._hedge_symbols(), markets=self.markets, run_id=self.run_id,
                )  # fmt: skip
            except ReconciliationError as exc:
                await self.halt(str(exc), Trigger.RECONCILIATION_FAILED)
                raise HaltRequested(f"reconciliation failed: {exc}") from exc
            except DataError as exc:  # a malformed reply: reconcile at the next turn; this cycle's guards hold
                log.warning("reconcile.postponed", error=str(exc))
        try:
            snapshot = await self._read_snapshot()
        except DataError as exc:  # malformed account data: decide nothing, change nothing, read again next cycle
            return self._record_skipped(now, exc)
        self.wallet_assets = {h.asset for h in snapshot.holdings if h.source.startswith(WALLET_SOURCE)}
        await self.executor.resolve_unknown()
        unlisted = await self.executor.sync_orders(snapshot.open_orders)
        synced = await sync_history(self.port, self.journal, self._hedge_symbols(), self.markets, now=now)
        bad_data = merged(
            snapshot.bad_data,
            synced.unreadable,
            vanished_positions(self.journal, self.venue, snapshot, self._hedge_symbols()),
            self.missing_holdings.check(self._last_plan, snapshot),
        )
        snapshot = replace(snapshot, open_orders=(*snapshot.open_orders, *unlisted), bad_data=bad_data)
        self._last_snapshot = snapshot
        prepared = {symbol: p for symbol, p in snapshot.positions.items() if symbol in self.leverage}
        held = await keep_leverage(self.port, self.journal, self.run_id, prepared, self.config.execution.leverage)
        self.leverage.update(held.leverage)
        history = self.journal.risk_history(now)
        self._apply([*events, *held.halts, *daily_limit_events(history, self.limits)])
        if self.risk_state.trading is TradingState.HALTED:
            await self.cancel_our_orders(f"halted: {self.risk_state.detail}")
            return self._record_halted(now)

        plan, next_state = self.planner(self.settings, snapshot, self.core_state, now)
        self._last_plan = plan
        intents = plan.intents
        await self._prepare_instruments({intent.symbol for intent in intents})
        context = self._risk_context(snapshot, plan, now, history)
        risk = evaluate(intents, context, self.limits)
        blocked = blocked_symbols(risk)
        value, hedged, lines = holdings_value(plan), hedge_notional(plan, self.markets), instrument_lines(plan, blocked)
        cycle_id = self.journal.record_cycle(
            CycleRecord(
                run_id=self.run_id, number=self.cycle_number, at=now, trading_state=self.risk_state.trading,
                holdings_value=value, hedge_notional=hedged, summary={"instruments": lines, "notes": plan.notes},
            )
        )  # fmt: skip
        self.journal.record_targets(cycle_id, plan.targets)
        self.journal.record_decisions(cycle_id, decision_records(plan, blocked))
        intent_ids = self.journal.record_intents(cycle_id, intents)
        self.journal.record_risk_decisions(intent_ids, risk)
        for denied in (d for d in risk if not d.approved):
            log.info("risk.denied", symbol=denied.intent.symbol, side=denied.intent.side, reasons=denied.summary)

        approved = [(d.intent, i) for d, i in zip(risk, intent_ids, strict=True) if d.approved]
        approvals = await self._review([intent for intent, _ in approved])
        to_send = []
        for approval, (_, intent_id) in zip(approvals, approved, strict=True):
            self.journal.record_approval(
                intent_id, approver=approval.approver, verdict=approval.verdict.value,
                amount=approval.intent.amount, price=approval.intent.price, note=approval.note,
            )  # fmt: skip
            if approval.verdict is Verdict.APPROVED:
                to_send.append((approval.intent, intent_id))
        self._raise_if_halt_requested()
        placements = await self.executor.execute(plan.cancels, to_send, self.markets)
        self._orders_left = True
        handled = [c.client_order_id or "" for c in plan.cancels] + [i.replaces or "" for i in intents]
        await self._sweep(snapshot.open_orders, f"cycle {self.cycle_number}", keep=handled)
        self.core_state = next_state
        self.journal.record_policy_state(self.run_id, next_state.to_dict(), cycle_id=cycle_id)

        outcome = CycleOutcome(
            number=self.cycle_number,
            state=self.risk_state.trading,
            holdings_value=value,
            hedge_notional=hedged,
            instruments=lines,
            intents=len(intents),
            denied=sum(1 for d in risk if not d.approved) + sum(1 for p in placements if p.outcome is Outcome.DENIED),
            placed=sum(1 for p in placements if p.outcome is Outcome.PLACED),
            rejected=sum(1 for p in placements if p.outcome is Outcome.REJECTED),
            unknown=sum(1 for p in placements if p.outcome is Outcome.UNKNOWN),
            skipped=sum(1 for p in placements if p.outcome is Outcome.SKIPPED),
            cancels=len(plan.cancels),
            reasons=reasons_by_holding(plan, blocked),
        )
        log.info("cycle.summary", **outcome.log_fields())
        if self.on_cycle is not None:
            self.on_cycle(outcome)
        return outcome

    # -- helpers --------------------------------------------------------------------------------------------

    async def _review(self, intents: list[OrderIntent]) -> list[Approval]:
        """The approver's answers, unless a stop or halt comes first: then every intent is rejected, unsent."""
        answers = await self.interrupts.wait(self.approver.review(intents))
        if answers is None:
            note = f"not answered: {self.interrupts.reason}"
            return [Approval(intent, Verdict.REJECTED, self.approver.name, note) for intent in intents]
        return answers

    def _recheck(self, intent: OrderIntent, seen: Sequence[Order]) -> RiskDecision:
        """The risk gate for one re-priced intent: the cycle's snapshot as our orders ``seen`` since changed it
        (what actually rests, and the fill-adjusted position), with a fresh history."""
        assert self._last_snapshot is not None, "re-pricing happens only after a cycle's snapshot"
        assert self._last_plan is not None, "re-pricing happens only after a cycle's plan"
        now = self.clock.now()
        context = self._risk_context(self._last_snapshot, self._last_plan, now, self.journal.risk_history(now))
        return decide(intent, context.after(seen), self.limits)

    def _risk_context(self, snapshot: Snapshot, plan: Plan, now: datetime, history: RiskHistory) -> RiskContext:
        ours = [o for o in snapshot.open_orders if is_ours(o.client_order_id)]
        collateral = snapshot.balances.get(QUOTE)
        return RiskContext.from_snapshot(
            snapshot,
            now=now,
            state=self.risk_state.trading,
            our_orders=ours,
            full_hedge=full_hedge_of(plan.targets),
            collateral=collateral.total if collateral else ZERO,
            margin_mode=self.config.execution.margin_mode,
            leverage=self.leverage,
            history=history,
        )

    def _apply(self, events: list[StateEvent]) -> None:
        self.risk_state, changes = apply_events(self.risk_state, events)
        for change in changes:
            self.journal.record_state_change(self.run_id, change)
            log.warning(
                "risk.state_changed",
                before=change.before.trading,
                after=change.after.trading,
                trigger=change.event.trigger,
                detail=change.event.detail,
            )

    def _record_skipped(self, now: datetime, error: DataError) -> CycleOutcome:
        """A cycle whose account data was malformed: nothing decided or sent, the reason journaled (an error row of
        kind ``bad_data``), resting orders and positions kept as they are."""
        detail = f"cycle {self.cycle_number} skipped: {error}"
        self.journal.record_error(self.run_id, ReasonCode.BAD_DATA.value, detail)
        return self._skipped(ReasonCode.BAD_DATA.value, str(error))

    def _skipped(self, reason: str, because: str) -> CycleOutcome:
        """A cycle that decided and sent nothing: malformed account data, or a venue it could not read."""
        outcome = CycleOutcome(self.cycle_number, self.risk_state.trading, ZERO, ZERO, (), skipped_because=because)
        log.warning("cycle.skipped", cycle=self.cycle_number, reason=reason, error=because)
        if self.on_cycle is not None:
            self.on_cycle(outcome)
        return outcome

    def _record_halted(self, now: datetime) -> CycleOutcome:
        outcome = CycleOutcome(self.cycle_number, TradingState.HALTED, ZERO, ZERO, ())
        log.info("cycle.summary", **outcome.log_fields(), halted=self.risk_state.detail)
        return outcome

    def _hedge_symbols(self) -> tuple[str, ...]:
        return hedge_symbols(self.config, self.wallet_assets, self.core_state.planner.managed, self.markets)

    async def _read_snapshot(self) -> Snapshot:
        """This cycle's snapshot; price history (for estimated betas) is re-read every ``history_every`` cycles."""
        fresh_history = self._history is None or self.cycle_number % HISTORY_EVERY == 1
        request = snapshot_request(
            self.config, self.venue, self.wallet_assets, self.core_state.planner.managed, self.markets,
            with_history=fresh_history,
        )  # fmt: skip
        snapshot = await read_snapshot(self.port, request, self.markets, self.clock)
        if request.history is not None:
            self._history = snapshot.history
        elif self._history:
            snapshot = replace(snapshot, history=self._history)
        return snapshot

    async def _prepare_instruments(self, symbols: set[str]) -> None:
        """Position mode, margin mode and leverage (read back) before the first order on an instrument."""
        new = sorted(symbols - set(self.leverage))
        if not new:
            return
        plan = replace(preflight_plan(self.config, self.venue), hedge_symbols=tuple(new), max_clock_skew=None)
        try:
            report = await run_preflight(self.port, plan, self.clock)
        except PreflightError:
            log.exception("instrument.setup_failed", symbols=new)
            raise
        self.leverage.update(report.leverage)


def _config_hash(config: AppConfig) -> str:
    return hashlib.sha256(json.dumps(config.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()[:16]


def _version() -> str:
    try:
        return version("hedgebot")
    except PackageNotFoundError:
        return "unknown"
