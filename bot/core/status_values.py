"""The status figures' values: a hedge's history as the journal holds it, and the rows `hedgebot status` shows.

What each figure means is defined in ``bot.core.status``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from bot.domain import ZERO, Fill, FundingPayment, Order


@dataclass(frozen=True, slots=True)
class LegHistory:
    """What the journal holds about the bot's hedge on one instrument, from its opening (rule 1) on."""

    symbol: str
    contract_size: Decimal
    opened_at: datetime | None  # None: the bot never held a hedge here
    start_contracts: Decimal = ZERO  # an adopted position the history starts from (signed)
    start_price: Decimal | None = None  # its mark when adopted
    fills: tuple[Fill, ...] = ()  # the bot's fills since the opening, oldest first
    funding: tuple[FundingPayment, ...] = ()  # settlements since the opening
    fee_currency: str = "USDT"  # fees in another currency are not counted (a note says so)
    day_start_mark: Decimal | None = None  # the mark in the bot's last cycle before 00:00 UTC today

    def contracts_at(self, moment: datetime) -> Decimal:
        """The position the history explains just before ``moment``."""
        moved = sum((f.side.sign * f.amount for f in self.fills if f.timestamp < moment), ZERO)
        return self.start_contracts + moved

    @property
    def contracts(self) -> Decimal:
        return self.start_contracts + sum((f.side.sign * f.amount for f in self.fills), ZERO)


@dataclass(frozen=True, slots=True)
class SpotHistory:
    """A holding's prices as the bot valued it at the start of each period (rules 2 and 4); None: not journaled."""

    asset: str
    at_open: Decimal | None
    at_day_start: Decimal | None


@dataclass(frozen=True, slots=True)
class LegPnl:
    """The hedge leg's figures for one period, in quote currency."""

    hedge: Decimal | None  # price PnL, realised + unrealised
    funding: Decimal = ZERO  # + received, - paid
    fees: Decimal = ZERO  # paid (a rebate is negative)

    @property
    def total(self) -> Decimal | None:
        return None if self.hedge is None else self.hedge + self.funding - self.fees

    def share(self, fraction: Decimal) -> LegPnl:
        hedge = None if self.hedge is None else self.hedge * fraction
        return LegPnl(hedge, self.funding * fraction, self.fees * fraction)

    def __add__(self, other: LegPnl) -> LegPnl:
        return LegPnl(sum_known((self.hedge, other.hedge)), self.funding + other.funding, self.fees + other.fees)


NO_LEG = LegPnl(ZERO)


@dataclass(frozen=True, slots=True)
class Pnl:
    """Both legs' figures for one period: ``combined`` = spot + hedge + funding - fees."""

    spot: Decimal | None
    leg: LegPnl = NO_LEG

    @property
    def hedge(self) -> Decimal | None:
        return self.leg.hedge

    @property
    def funding(self) -> Decimal:
        return self.leg.funding

    @property
    def fees(self) -> Decimal:
        return self.leg.fees

    @property
    def combined(self) -> Decimal | None:
        total = self.leg.total
        return None if self.spot is None or total is None else self.spot + total

    def __add__(self, other: Pnl) -> Pnl:
        return Pnl(sum_known((self.spot, other.spot)), self.leg + other.leg)


@dataclass(frozen=True, slots=True)
class Risk:
    """An instrument's distance from trouble: basis, liquidation and margin."""

    basis_bps: Decimal | None = None
    liquidation_price: Decimal | None = None
    liquidation_distance: Decimal | None = None
    margin_ratio: Decimal | None = None


@dataclass(frozen=True, slots=True)
class InstrumentStatus:
    symbol: str
    contracts: Decimal  # the venue's position, signed
    explained: Decimal  # what the journal's history explains
    mark: Decimal | None
    hedge_notional: Decimal
    full_contracts: Decimal  # the short at ratio 1 for its holdings now
    opened_at: datetime | None
    since_open: LegPnl
    today: LegPnl
    risk: Risk
    resting: tuple[Order, ...]  # the bot's resting orders
    holdings: tuple[str, ...]  # the holdings it hedges now

    @property
    def ratio(self) -> Decimal | None:
        """Rule 6: the short held / the short at ratio 1."""
        if self.full_contracts == ZERO:
            return None
        return self.contracts / self.full_contracts + ZERO  # + 0: a flat position's ratio is 0, never -0


@dataclass(frozen=True, slots=True)
class HoldingStatus:
    asset: str
    quantity: Decimal
    price: Decimal | None
    spot_value: Decimal | None
    value_at_open: Decimal | None
    instrument: str | None
    share: Decimal  # of its instrument's figures (rule 5)
    hedge_notional: Decimal
    ratio: Decimal | None  # achieved (rule 6)
    target_ratio: Decimal | None
    opened_at: datetime | None
    since_open: Pnl
    today: Pnl
    risk: Risk
    reason: str  # the last reason the bot journaled for it, else this plan's


@dataclass(frozen=True, slots=True)
class StatusTotal:
    spot_value: Decimal | None
    value_at_open: Decimal | None
    hedge_notional: Decimal
    ratio: Decimal | None  # the holdings' achieved ratios weighted by spot value (rule 6)
    target_ratio: Decimal | None  # the value-weighted target ratio
    since_open: Pnl
    today: Pnl

    @property
    def unhedged_change(self) -> Decimal | None:
        """The spot leg alone since the opening, as a fraction of the holdings' value then."""
        return fraction(self.since_open.spot, self.value_at_open)

    @property
    def hedged_change(self) -> Decimal | None:
        """Both legs since the opening, as a fraction of the holdings' value then."""
        return fraction(self.since_open.combined, self.value_at_open)


@dataclass(frozen=True, slots=True)
class StatusReport:
    at: datetime
    holdings: tuple[HoldingStatus, ...]
    instruments: tuple[InstrumentStatus, ...]
    total: StatusTotal
    notes: tuple[str, ...] = field(default=())


def sum_known(values: Iterable[Decimal | None]) -> Decimal | None:
    """The sum, or None if any value is unknown."""
    total = ZERO
    for value in values:
        if value is None:
            return None
        total += value
    return total


def fraction(part: Decimal | None, whole: Decimal | None) -> Decimal | None:
    return None if part is None or not whole else part / whole
