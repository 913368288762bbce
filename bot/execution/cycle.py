"""The cycle pipeline: one pass of snapshot -> policy -> plan -> risk gate -> approval -> execute -> journal.

``CyclePipeline.run_cycle`` takes one pass on a started ``Run``, in named steps:

1. observe: the kill switch, a reconciliation every few cycles (postponed on a malformed reply), the account
   (price history re-read every ``HISTORY_EVERY`` cycles; malformed account data skips the cycle), our orders'
   outcomes, fills and funding, the guards (``bot.execution.guards``: instruments whose data cannot be trusted
   are held), leverage kept, daily limits; HALTED stops here (our resting orders cancelled); then the hedge
   instruments' books and marks, read together and last, right before pricing;
2. decide: the plan (the run's planner), new instruments set up, the risk gate on every intent, all journaled (a
   quiet cycle that decided what the one before it decided only extends its run: ``bot.journal.folding``);
3. approve (``bot.execution.approving``): the approver's answers (a stop or halt rejects what it has not answered),
   journaled; what was approved re-validated (a stale plan is planned and asked again, unsent) and gated again;
4. act: the executor sends what was approved; a re-priced order is checked again by the gate (``_recheck``);
   then our resting orders older than ``execution.max_order_age`` are cancelled, whatever the planner held;
5. report: the cycle's conditions and events to the run's alerts (``bot.execution.alerting``: they only queue),
   the cycle's outcome logged as ``cycle.summary`` and handed to ``on_cycle``.
A read (or cancel) the venue does not answer after the adapter's retries ends the cycle there as a paused one that
sends nothing more, and the next cycle tries again (``bot.execution.outage``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

import structlog

from bot.core.cycle import CoreState
from bot.core.plan import Plan
from bot.domain import (
    ZERO,
    Order,
    OrderIntent,
    PerpTicker,
    ReasonCode,
    Snapshot,
    SourceKind,
    TradingState,
    is_ours,
)
from bot.errors import DataError, HaltRequested, ReconciliationError
from bot.execution.approval import Approver
from bot.execution.approving import ApprovalStep
from bot.execution.executor import Outcome, Placement
from bot.execution.guards import merged, unread_wallets, vanished_positions
from bot.execution.leverage import keep_leverage
from bot.execution.outage import JOURNAL_DOWN, VENUE_DOWN
from bot.execution.reading import QUOTE
from bot.execution.reconcile import sync_history
from bot.execution.run import Run
from bot.execution.summary import (
    CycleOutcome,
    InstrumentLine,
    blocked_symbols,
    decision_records,
    hedge_notional,
    holdings_value,
    instrument_lines,
    reasons_by_holding,
)
from bot.execution.vanished import VanishedHoldings
from bot.journal.records import CycleRecord
from bot.risk.context import RiskContext, RiskHistory, full_hedge_of
from bot.risk.decision import RiskDecision
from bot.risk.gate import decide, evaluate
from bot.risk.kill_switch import check_kill_switch
from bot.risk.state import StateEvent, Trigger, daily_limit_events

log = structlog.get_logger(__name__)

HISTORY_EVERY = 12  # cycles between re-reads of price history for estimated betas


@dataclass(frozen=True, slots=True)
class _Decided:
    """What the decide step leaves for the rest of the cycle."""

    plan: Plan
    next_state: CoreState
    risk: tuple[RiskDecision, ...]
    intent_ids: tuple[int, ...]
    blocked: dict[str, str]
    lines: tuple[InstrumentLine, ...]
    holdings_value: Decimal
    hedge_notional: Decimal
    cycle_id: int | None  # None: the cycle extended a run of unchanged cycles (it has no rows of its own)


class CyclePipeline:
    """Runs cycles on one started ``Run``, asking ``approver`` before anything is sent."""

    def __init__(self, run: Run, approver: Approver) -> None:
        self.run = run
        self.approver = approver
        self.approval = ApprovalStep(run, approver, self._fresh_context)
        self.number = 0  # cycles run so far
        self.on_cycle: Callable[[CycleOutcome], None] | None = None  # e.g. the CLI's one line per cycle
        self._snapshot: Snapshot | None = None  # this cycle's, for re-checks while acting
        self._plan: Plan | None = None  # this cycle's (the last cycle's, until it plans)
        # hedged wallet holdings their wallet's reply stopped listing: held for holdings.vanished_confirm
        self._vanished = VanishedHoldings(run.journal, run.run_id, run.settings.core.holdings, run.alerts)
        self._denied: list[RiskDecision] = []  # this cycle's denials, at the plan and at re-prices (for alerts)

    async def run_cycle(self, *, reconcile_now: bool = False) -> CycleOutcome:
        """One cycle; if the venue cannot be read, a paused one that sends nothing more (``bot.execution.outage``)."""
        run = self.run
        self.number += 1
        run.ids.start_cycle(self.number)
        self._denied = []
        try:
            outcome = await self._cycle(reconcile_now)
        except VENUE_DOWN as exc:
            return await self._paused(exc)
        run.outage.up(run.clock.now())
        return outcome

    async def _cycle(self, reconcile_now: bool) -> CycleOutcome:
        run = self.run
        now = run.clock.now()
        kill_switch = check_kill_switch(run.kill_switch)  # looked at first: what follows may take a while
        if reconcile_now:
            await self._reconcile()
        try:
            account = await run.read_snapshot(refresh_history=self.number % HISTORY_EVERY == 1, with_market=False)
        except DataError as exc:  # malformed account data: decide nothing, change nothing, read again next cycle
            return self._bad_data(exc)
        account, history = await self._observe(account, now, [kill_switch] if kill_switch else [])
        if run.risk_state.trading is TradingState.HALTED:
            await run.cancel_our_orders(f"halted: {run.risk_state.detail}")
            return self._halted()
        # The books and marks last, together, right before pricing: the history and position reads come first.
        snapshot = self._snapshot = await run.reader.read_market(account)
        decided = await self._decide(snapshot, history, now)
        allowed = [(d.intent, i) for d, i in zip(decided.risk, decided.intent_ids, strict=True) if d.approved]
        approved = await self.approval.approve(self.number, decided.plan, allowed, snapshot)
        self._denied.extend(approved.denied)
        run.raise_if_halt_requested()
        if approved.replan is not None:  # nothing sent: the caller plans and asks again at once
            return self._report(decided, [], replan=approved.replan)
        placements = await run.executor.execute(decided.plan.cancels, approved.to_send, run.markets, self._recheck)
        self.approval.remember(placements)
        run.orders_left = True
        plan = decided.plan
        handled = [c.client_order_id or "" for c in plan.cancels] + [i.replaces or "" for i in plan.intents]
        await run.sweep(snapshot.open_orders, f"cycle {self.number}", keep=handled)
        run.core_state = decided.next_state
        run.journal.record_policy_state(run.run_id, decided.next_state.to_dict(), cycle_id=decided.cycle_id)
        run.alerts.cycle(snapshot, plan, self._denied, placements)
        return self._report(decided, placements)

    # -- the steps ------------------------------------------------------------------------------------------

    async def _reconcile(self) -> None:
        """Every few cycles: the journal against the venue; what it cannot explain halts."""
        run = self.run
        try:
            await run.reconcile()
        except ReconciliationError as exc:
            await run.halt(str(exc), Trigger.RECONCILIATION_FAILED)
            raise HaltRequested(f"reconciliation failed: {exc}") from exc
        except DataError as exc:  # a malformed reply: reconcile at the next turn; this cycle's guards hold
            log.warning("reconcile.postponed", error=str(exc))

    async def _observe(
        self, snapshot: Snapshot, now: datetime, events: list[StateEvent]
    ) -> tuple[Snapshot, RiskHistory]:
        """The journal brought up to date with the venue, the instruments whose data cannot be trusted held, and
        the trading state for this cycle (``events``: the kill switch's, if it is engaged)."""
        run = self.run
        run.wallet_assets = {h.asset for h in snapshot.holdings if h.source.kind is SourceKind.EXCHANGE}
        await run.executor.resolve_unknown()
        unlisted = await run.executor.sync_orders(snapshot.open_orders)
        synced = await sync_history(run.port, run.journal, run.hedge_symbols(), run.markets, now=now)
        bad_data = merged(
            snapshot.bad_data,
            synced.unreadable,
            vanished_positions(run.journal, run.venue, snapshot, run.hedge_symbols()),
            self._vanished.check(self._plan, snapshot, run.wallets.unread, now),
            unread_wallets(self._plan, run.wallets, run.settings.core),
        )
        snapshot = replace(snapshot, open_orders=(*snapshot.open_orders, *unlisted), bad_data=bad_data)
        self._snapshot = snapshot
        prepared = {symbol: p for symbol, p in snapshot.positions.items() if symbol in run.leverage}
        held = await keep_leverage(run.port, run.journal, run.run_id, prepared, run.settings.execution.leverage)
        run.leverage.update(held.leverage)
        history = run.journal.risk_history(now, run.venue)
        run.apply([*events, *held.halts, *daily_limit_events(history, run.settings.risk)])
        return snapshot, history

    async def _decide(self, snapshot: Snapshot, history: RiskHistory, now: datetime) -> _Decided:
        """The plan, every intent through the risk gate, and the cycle's rows in the journal."""
        run = self.run
        plan, next_state = run.planner(run.settings.core, snapshot, run.core_state, now)
        self._plan = plan
        intents = plan.intents
        await run.prepare_instruments({intent.symbol for intent in intents})
        context = self._risk_context(snapshot, plan, now, history)
        risk = evaluate(intents, context, run.settings.risk)
        run.portfolio.publish(run.venue, context, risk)  # what the other desks' gates count of this one
        blocked = blocked_symbols(risk)
        value, hedged, lines = holdings_value(plan), hedge_notional(plan, run.markets), instrument_lines(plan, blocked)
        cycle = CycleRecord(
            run_id=run.run_id, number=self.number, at=now, trading_state=run.risk_state.trading,
            holdings_value=value, hedge_notional=hedged, summary={"instruments": lines, "notes": plan.notes},
        )  # fmt: skip
        records = decision_records(plan, blocked)  # a quiet cycle that decided the same extends the last one's run
        cycle_id, intent_ids = run.journal.record_decided(
            cycle, plan.targets, records, intents, cancels=bool(plan.cancels)
        )
        run.journal.record_risk_decisions(intent_ids, risk)
        self._denied.extend(d for d in risk if not d.approved)
        for denied in (d for d in risk if not d.approved):
            log.info("risk.denied", symbol=denied.intent.symbol, side=denied.intent.side, reasons=denied.summary)
        return _Decided(plan, next_state, risk, intent_ids, blocked, lines, value, hedged, cycle_id)

    def _report(self, decided: _Decided, placements: Sequence[Placement], replan: str | None = None) -> CycleOutcome:
        plan, blocked = decided.plan, decided.blocked
        outcomes = [p.outcome for p in placements]
        outcome = CycleOutcome(
            number=self.number,
            state=self.run.risk_state.trading,
            holdings_value=decided.holdings_value,
            hedge_notional=decided.hedge_notional,
            instruments=decided.lines,
            intents=len(plan.intents),
            denied=len(self._denied),  # at the plan, at the approval's re-check and at re-prices
            placed=outcomes.count(Outcome.PLACED),
            rejected=outcomes.count(Outcome.REJECTED),
            unknown=outcomes.count(Outcome.UNKNOWN),
            skipped=outcomes.count(Outcome.SKIPPED),
            cancels=len(plan.cancels),
            reasons=reasons_by_holding(plan, blocked),
            replanned_because=replan,
        )
        log.info("cycle.summary", **outcome.log_fields())
        if self.on_cycle is not None:
            self.on_cycle(outcome)
        return outcome

    def _bad_data(self, error: DataError) -> CycleOutcome:
        """A cycle whose account data was malformed: nothing decided or sent, the reason journaled (an error row of
        kind ``bad_data``), resting orders and positions kept as they are."""
        run = self.run
        run.journal.record_error(run.run_id, ReasonCode.BAD_DATA.value, f"cycle {self.number} skipped: {error}")
        return self._skipped(ReasonCode.BAD_DATA.value, str(error))

    async def _paused(self, failure: Exception) -> CycleOutcome:
        """The venue cannot be read: the cycle ends here, nothing more is sent (journaled and logged once per outage
        by ``Run.outage``); past risk.max_outage our resting orders are cancelled."""
        self.run.portfolio.withdraw(self.run.venue, "its venue cannot be read")
        outage = await self.run.outage.down(self.run.clock.now(), failure, self.run.cancel_our_orders)
        return self._skipped(JOURNAL_DOWN, f"venue unreadable: {outage.error}")

    def _skipped(self, reason: str, because: str) -> CycleOutcome:
        """A cycle that decided and sent nothing: malformed account data, or a venue it could not read."""
        outcome = CycleOutcome(self.number, self.run.risk_state.trading, ZERO, ZERO, (), skipped_because=because)
        log.warning("cycle.skipped", cycle=self.number, reason=reason, error=because)
        if self.on_cycle is not None:
            self.on_cycle(outcome)
        return outcome

    def _halted(self) -> CycleOutcome:
        outcome = CycleOutcome(self.number, TradingState.HALTED, ZERO, ZERO, ())
        log.info("cycle.summary", **outcome.log_fields(), halted=self.run.risk_state.detail)
        return outcome

    # -- helpers --------------------------------------------------------------------------------------------

    def _recheck(self, intent: OrderIntent, seen: Sequence[Order], ticker: PerpTicker) -> RiskDecision:
        """The risk gate for one re-priced intent: the cycle's snapshot as our orders ``seen`` since changed it
        (what actually rests, and the fill-adjusted position), with the ``ticker`` read with the book the intent was
        re-priced from (its mark, not the cycle's) and a fresh history."""
        assert self._snapshot is not None, "re-pricing happens only after a cycle's snapshot"
        assert self._plan is not None, "re-pricing happens only after a cycle's plan"
        snapshot = replace(self._snapshot, tickers={**self._snapshot.tickers, ticker.symbol: ticker})
        decision = decide(intent, self._fresh_context(snapshot, self._plan, self.run.clock.now()).after(seen),
                          self.run.settings.risk)  # fmt: skip
        if not decision.approved:
            self._denied.append(decision)
        return decision

    def _fresh_context(self, snapshot: Snapshot, plan: Plan, now: datetime) -> RiskContext:
        """The gate's view of ``snapshot`` at ``now``, with the journal's history as of ``now``."""
        return self._risk_context(snapshot, plan, now, self.run.journal.risk_history(now, self.run.venue))

    def _risk_context(self, snapshot: Snapshot, plan: Plan, now: datetime, history: RiskHistory) -> RiskContext:
        run = self.run
        collateral = snapshot.balances.get(QUOTE)
        return RiskContext.from_snapshot(
            snapshot,
            now=now,
            state=run.risk_state.trading,
            our_orders=[o for o in snapshot.open_orders if is_ours(o.client_order_id)],
            full_hedge=full_hedge_of(plan.targets),
            collateral=collateral.total if collateral else ZERO,
            margin_mode=run.settings.execution.margin_mode,
            leverage=run.leverage,
            history=history,
            elsewhere=run.portfolio.others(run.venue, run.journal),
        )
