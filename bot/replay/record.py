"""What a replay records, step by step: the values the hedge-effectiveness report is computed from (pure values).

A ``Recording`` holds one ``Step`` per moment the replay looked at the account (after each cycle, and once at the
end), every fill with the mid the order was decided at, and the order counts. Money is ``Decimal`` in the quote
currency (USDT); quantities are signed contracts (a short is negative).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from bot.domain import ZERO, Side


@dataclass(frozen=True, slots=True)
class InstrumentStep:
    """One hedge instrument at one step: the position, the policy's target, the mark and the liquidation price."""

    symbol: str
    contracts: Decimal  # the position (< 0: short)
    target: Decimal  # the policy's target contracts at this step (0: none, unwind)
    mark: Decimal
    contract_size: Decimal = Decimal(1)
    liquidation: Decimal | None = None

    @property
    def notional(self) -> Decimal:
        """The short's value at mark (positive for a short)."""
        return -self.contracts * self.contract_size * self.mark

    @property
    def target_notional(self) -> Decimal:
        return -self.target * self.contract_size * self.mark

    @property
    def liquidation_distance(self) -> Decimal | None:
        """How far the liquidation price is from the mark, as a fraction of the mark (None: no position)."""
        if self.liquidation is None or self.contracts == 0 or self.mark <= 0:
            return None
        return abs(self.liquidation - self.mark) / self.mark


@dataclass(frozen=True, slots=True)
class Step:
    """The portfolio at one moment. Costs and PnL are cumulative since the replay began."""

    at: datetime
    spot_value: Decimal  # the holdings at their spot price: the portfolio without the hedge
    perp_pnl: Decimal  # the perpetuals' realised and unrealised PnL, before fees and funding
    fees: Decimal  # trading fees paid (> 0: paid; a maker rebate is negative)
    funding: Decimal  # funding received (> 0) or paid (< 0)
    instruments: tuple[InstrumentStep, ...] = ()
    unrealised: Decimal = ZERO  # the part of ``perp_pnl`` still open, as the venue reports it

    @property
    def hedge_pnl(self) -> Decimal:
        return self.perp_pnl + self.funding - self.fees

    @property
    def hedged_value(self) -> Decimal:
        """Spot value + perpetual realised and unrealised PnL + funding - fees."""
        return self.spot_value + self.hedge_pnl

    @property
    def realised(self) -> Decimal:
        return self.perp_pnl - self.unrealised


@dataclass(frozen=True, slots=True)
class Trade:
    """One fill of ours, with the mid of the instrument's book when its order was decided (None: unknown)."""

    at: datetime
    symbol: str
    side: Side
    amount: Decimal  # contracts
    price: Decimal
    fee: Decimal
    maker: bool | None
    decision_mid: Decimal | None = None
    contract_size: Decimal = Decimal(1)

    @property
    def notional(self) -> Decimal:
        return self.amount * self.contract_size * self.price

    @property
    def slippage(self) -> Decimal:
        """What the fill cost against the decision mid: > 0 worse than the mid, < 0 better (a passive fill)."""
        if self.decision_mid is None:
            return ZERO
        return self.side.sign * (self.price - self.decision_mid) * self.amount * self.contract_size


@dataclass(frozen=True, slots=True)
class OrderCounts:
    """What the hedger asked of the venue: orders accepted, cancels, post-only rejections and re-prices (an order
    sent on a side of an instrument after one of ours there was cancelled or rejected in the same step)."""

    orders: int = 0
    cancels: int = 0
    post_only_rejections: int = 0
    reprices: int = 0


@dataclass(frozen=True, slots=True)
class Recording:
    """A whole replay: its steps (time order), fills and counts, and the band the hedger steered within."""

    steps: tuple[Step, ...]
    trades: tuple[Trade, ...] = ()
    counts: OrderCounts = OrderCounts()
    band: Decimal = Decimal("0.05")
    step: timedelta = timedelta(minutes=1)
    notes: tuple[str, ...] = ()
    synthetic_perpetuals: tuple[str, ...] = ()  # instruments replayed at spot with no funding (no such data)
