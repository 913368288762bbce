"""A cycle's outcome as values: journal decision rows and the one-line summary (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bot.core.plan import InstrumentDecision, Plan
from bot.domain import ZERO, Market, Order, OrderStatus, ReasonCode, Side, TradingState, is_ours
from bot.journal.records import DecisionRecord, HoldingDecisionRecord, InstrumentDecisionRecord
from bot.risk.decision import RiskDecision


@dataclass(frozen=True, slots=True)
class InstrumentLine:
    """One hedge instrument in a cycle's summary: where it stands against its target, and why the cycle did what it
    did there (quantities in signed contracts; ``target`` None while the instrument is on hold)."""

    symbol: str
    target: Decimal | None
    current: Decimal
    in_flight: Decimal  # our resting orders' signed remaining quantity
    gap: Decimal | None
    reason: ReasonCode


@dataclass(frozen=True, slots=True)
class CycleOutcome:
    """What one cycle decided and did; the loop logs it as ``cycle.summary`` and journals it."""

    number: int
    state: TradingState
    holdings_value: Decimal
    hedge_notional: Decimal
    instruments: tuple[InstrumentLine, ...]
    intents: int = 0
    denied: int = 0  # by the risk gate: at the plan, at the approval's re-check, or at a re-price's re-check
    placed: int = 0
    rejected: int = 0
    unknown: int = 0
    skipped: int = 0  # approved but not sent: symbol frozen, re-pricing budget spent, margin refused earlier
    cancels: int = 0
    reasons: Mapping[str, str] = field(default_factory=dict)
    skipped_because: str | None = None  # the cycle decided nothing: malformed account data, or the venue unreadable
    replanned_because: str | None = None  # approved too late or the price moved: nothing sent, planned again at once

    def log_fields(self) -> dict[str, Any]:
        return {
            "cycle": self.number,
            "state": self.state,
            "holdings_value": self.holdings_value,
            "hedge_notional": self.hedge_notional,
            "instruments": list(self.instruments),
            "intents": self.intents,
            "denied": self.denied,
            "placed": self.placed,
            "rejected": self.rejected,
            "unknown": self.unknown,
            "skipped": self.skipped,
            "cancels": self.cancels,
            "reasons": dict(self.reasons),
            **({"skipped_because": self.skipped_because} if self.skipped_because else {}),
            **({"replanned_because": self.replanned_because} if self.replanned_because else {}),
        }


def blocked_symbols(decisions: Sequence[RiskDecision]) -> dict[str, str]:
    """Instruments every intent of which the risk gate denied, with a note naming the limits (the full denial
    messages are journaled with the risk decisions)."""
    by_symbol: dict[str, list[RiskDecision]] = {}
    for decision in decisions:
        by_symbol.setdefault(decision.intent.symbol, []).append(decision)
    return {
        symbol: f"all {len(group)} order(s) denied by the risk gate: "
        + ", ".join(sorted({denial.code.value for d in group for denial in d.denials}))
        for symbol, group in by_symbol.items()
        if all(not d.approved for d in group)
    }


def effective_reason(decision: InstrumentDecision, blocked: Mapping[str, str]) -> tuple[ReasonCode, str]:
    """The planner's reason, unless the risk gate denied all of the instrument's orders."""
    if decision.symbol in blocked:
        return ReasonCode.BLOCKED_BY_LIMIT, blocked[decision.symbol]
    return decision.reason, "; ".join(decision.notes)


def decision_records(plan: Plan, blocked: Mapping[str, str]) -> list[DecisionRecord]:
    """The journal's rows: one per holding (with its instrument's figures), then one per instrument."""
    return [*holding_records(plan, blocked), *instrument_records(plan, blocked)]


def holding_records(plan: Plan, blocked: Mapping[str, str]) -> list[HoldingDecisionRecord]:
    """One per holding, with its instrument's figures; a holding whose instrument the gate blocked says so."""
    rows: list[HoldingDecisionRecord] = []
    for holding in plan.holdings:
        symbol = holding.hedge.instrument
        instrument = plan.instrument(symbol) if symbol else None
        reason, note = holding.reason, holding.note
        if instrument is not None and instrument.symbol in blocked:
            reason, note = effective_reason(instrument, blocked)
        rows.append(
            HoldingDecisionRecord(
                asset=holding.holding.asset,
                reason=reason,
                symbol=symbol,
                value=holding.holding.value,
                ratio=holding.hedge.ratio if symbol else None,
                target=instrument.target_contracts if instrument else None,
                current=instrument.current if instrument else None,
                in_flight=instrument.in_flight if instrument else None,
                gap=instrument.gap if instrument else None,
                note=note,
                price=holding.holding.price,
                quantity=holding.holding.quantity,
            )
        )
    return rows


def instrument_records(plan: Plan, blocked: Mapping[str, str]) -> list[InstrumentDecisionRecord]:
    rows = []
    for instrument in plan.instruments:
        reason, note = effective_reason(instrument, blocked)
        rows.append(
            InstrumentDecisionRecord(
                symbol=instrument.symbol,
                reason=reason,
                target=instrument.target_contracts,
                current=instrument.current,
                in_flight=instrument.in_flight,
                gap=instrument.gap,
                note=note,
                price=instrument.price,
            )
        )
    return rows


def instrument_lines(plan: Plan, blocked: Mapping[str, str]) -> tuple[InstrumentLine, ...]:
    """Per instrument: target, current, in flight, gap and the reason for acting or not (the summary's core)."""
    return tuple(
        InstrumentLine(
            symbol=d.symbol,
            target=d.target_contracts,
            current=d.current,
            in_flight=d.in_flight,
            gap=d.gap,
            reason=effective_reason(d, blocked)[0],
        )
        for d in plan.instruments
    )


def holdings_value(plan: Plan) -> Decimal:
    return sum((h.holding.value or ZERO for h in plan.holdings), ZERO)


def hedge_notional(plan: Plan, markets: Mapping[str, Market]) -> Decimal:
    """The hedge positions' absolute value at mark."""
    return sum(
        (markets[d.symbol].notional(d.current, d.price) for d in plan.instruments if d.price and d.symbol in markets),
        ZERO,
    )


@dataclass(frozen=True, slots=True)
class MarginNeed:
    """Initial margin the plan's targets still need, at the leverage set, against the venue's free balance (which
    leaves out the margin the venue holds for our resting orders)."""

    needed: Decimal  # at the mark, beyond the positions held and the resting sells of ours that the plan keeps
    freed: Decimal  # held (at their prices) by the resting sells of ours that the plan cancels: ours again after


def margin_need(plan: Plan, orders: Iterable[Order], markets: Mapping[str, Market], leverage: Decimal) -> MarginNeed:
    """What the plan's targets need, counting the margin our resting sells hold once: a sell the plan keeps grows
    the short with the margin the venue already holds for it, one it cancels frees that margin. Only our open,
    priced, not reduce-only sells where the position is not long count (a sell closing a long holds less margin:
    left out, it only makes the bot refuse sooner)."""
    cancelled = {c.client_order_id for c in plan.cancels}
    shorts = {d.symbol for d in plan.instruments if d.current <= 0 and d.symbol in markets}
    kept: dict[str, Decimal] = {}
    freed = ZERO
    for o in orders:
        if (
            not is_ours(o.client_order_id)
            or o.symbol not in shorts
            or o.status is not OrderStatus.OPEN
            or o.side is not Side.SELL
            or o.reduce_only
            or o.price is None
        ):
            continue
        if o.client_order_id in cancelled:
            freed += markets[o.symbol].notional(o.remaining, o.price) / leverage
        else:
            kept[o.symbol] = kept.get(o.symbol, ZERO) + o.remaining
    needed = ZERO
    for d in plan.instruments:
        if d.target_contracts is None or d.price is None or d.symbol not in markets:
            continue
        more = abs(d.target_contracts) - abs(d.current) - kept.get(d.symbol, ZERO)
        if more > 0:
            needed += markets[d.symbol].notional(more, d.price) / leverage
    return MarginNeed(needed, freed)


def reasons_by_holding(plan: Plan, blocked: Mapping[str, str]) -> dict[str, str]:
    return {row.asset: row.reason.value for row in holding_records(plan, blocked)}
