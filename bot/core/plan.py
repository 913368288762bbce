"""One cycle's decision as a typed value: per-holding and per-instrument decisions with reasons, and actions."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.domain import CancelIntent, HedgeTarget, OrderIntent, ReasonCode, ValuedHolding
from bot.plain import plain
from policies.base import HoldingHedge, ModifierEffect


@dataclass(frozen=True, slots=True)
class InstrumentDecision:
    """What the planner decided for one hedge instrument. Quantities are signed contracts (a short < 0)."""

    symbol: str
    reason: ReasonCode
    target: Decimal  # the policy's target, unrounded
    target_contracts: Decimal | None  # rounded onto the lot and within the cap: what the planner steers to
    cap_contracts: Decimal | None  # the most short risk.max_hedge_ratio allows
    full_contracts: Decimal  # the short at ratio 1 (see HedgeTarget.full_contracts)
    current: Decimal  # the position
    in_flight: Decimal  # our resting orders' signed remaining quantity
    gap: Decimal | None  # target_contracts - current - in_flight
    price: Decimal | None  # the instrument's mark price
    gap_notional: Decimal | None
    unhedged_notional: Decimal | None  # left unhedged by rounding and the cap (< 0: over-hedged, rounding up)
    intents: tuple[OrderIntent, ...] = ()
    cancels: tuple[CancelIntent, ...] = ()
    notes: tuple[str, ...] = ()
    effects: tuple[ModifierEffect, ...] = ()


@dataclass(frozen=True, slots=True)
class HoldingDecision:
    """One holding: its valuation, how the policy hedges it, and the reason for this cycle's outcome."""

    holding: ValuedHolding
    hedge: HoldingHedge
    reason: ReasonCode
    note: str


@dataclass(frozen=True, slots=True)
class Plan:
    at: datetime
    policy: str
    holdings: tuple[HoldingDecision, ...]
    instruments: tuple[InstrumentDecision, ...]
    notes: tuple[str, ...] = ()
    targets: tuple[HedgeTarget, ...] = ()  # the policy's targets, as journaled

    @property
    def intents(self) -> tuple[OrderIntent, ...]:
        return tuple(intent for decision in self.instruments for intent in decision.intents)

    @property
    def cancels(self) -> tuple[CancelIntent, ...]:
        return tuple(cancel for decision in self.instruments for cancel in decision.cancels)

    def instrument(self, symbol: str) -> InstrumentDecision | None:
        return next((d for d in self.instruments if d.symbol == symbol), None)

    def holding(self, asset: str) -> HoldingDecision | None:
        return next((d for d in self.holdings if d.holding.asset == asset), None)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-safe data (Decimals as strings, times ISO 8601) for ``--json`` and the journal."""
        data: dict[str, Any] = plain(asdict(self))
        data["intents"] = plain([asdict(intent) for intent in self.intents])
        data["cancels"] = plain([asdict(cancel) for cancel in self.cancels])
        return data
