"""The values every hedge policy produces and the protocols it is built from: hedges, fits, effects, results."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from bot.domain import ONE, HedgeTarget, PerpTicker, ReasonCode
from policies.state import PolicyState


class HedgeKind(StrEnum):
    DIRECT = "direct"  # short the holding's own perpetual, quantity-matched
    PROXY = "proxy"  # short a correlated liquid perpetual, notional x beta


@dataclass(frozen=True, slots=True)
class BetaFit:
    """A beta estimated from log returns: the shrunk value used, the raw least-squares slope and its fit."""

    beta: Decimal
    raw_beta: Decimal
    r_squared: Decimal
    samples: int


@dataclass(frozen=True, slots=True)
class HoldingHedge:
    """How one holding is hedged this cycle, or why it is not (``reason`` set, ``contracts`` zero)."""

    asset: str
    instrument: str | None
    kind: HedgeKind | None
    ratio: Decimal  # effective: after modifiers
    beta: Decimal
    contracts: Decimal  # this holding's share of the instrument's target, signed
    hedge_notional: Decimal  # value x ratio x beta, in quote currency
    reason: ReasonCode | None = None
    note: str = ""
    fit: BetaFit | None = None

    @property
    def residual_variance_share(self) -> Decimal | None:
        """The share of the holding's return variance the proxy does not explain (1 - R²); None if unknown."""
        return None if self.fit is None else ONE - self.fit.r_squared


@dataclass(frozen=True, slots=True)
class ModifierEffect:
    """What one modifier did to one instrument's target this cycle (factor 1: nothing), and why."""

    modifier: str
    factor: Decimal
    note: str


@dataclass(frozen=True, slots=True)
class InstrumentHold:
    """An instrument not to trade this cycle, because an input to its target is unusable."""

    symbol: str
    reason: ReasonCode
    note: str


@dataclass(frozen=True, slots=True)
class PolicyResult:
    """A policy's answer for one cycle: targets by instrument, every holding's hedge (in the order the holdings
    were given), instruments on hold, what each modifier did per instrument, and the state for the next cycle."""

    targets: Mapping[str, HedgeTarget]
    hedges: tuple[HoldingHedge, ...]
    holds: Mapping[str, InstrumentHold] = field(default_factory=dict)
    effects: Mapping[str, tuple[ModifierEffect, ...]] = field(default_factory=dict)
    state: PolicyState = field(default_factory=PolicyState)


class RatioPolicy(Protocol):
    """A base policy: the hedge ratio of each holding at a moment."""

    @property
    def name(self) -> str: ...

    def ratio(self, asset: str, now: datetime) -> tuple[Decimal, str]:
        """The ratio for ``asset`` at ``now`` and a note saying where it comes from."""
        ...


class Modifier(Protocol):
    """Wraps any policy: scales one instrument's target by a factor, with its own explicit state."""

    @property
    def name(self) -> str: ...

    def apply(
        self, target: HedgeTarget, ticker: PerpTicker | None, state: PolicyState
    ) -> tuple[Decimal, str, PolicyState]:
        """The factor for ``target`` (1: unchanged), a note saying why, and the new state."""
        ...
