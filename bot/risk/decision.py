"""The risk gate's verdicts: a typed denial per broken limit, and one decision per order intent."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from bot.domain import OrderIntent


class DenialCode(StrEnum):
    """Why the gate denied an intent. Limit codes are the ``[risk]`` key they enforce."""

    HALTED = "halted"  # trading state HALTED: cancels only
    REDUCING_ONLY = "reducing_only"  # trading state REDUCING: only orders that shrink the hedge
    INVALID_INTENT = "invalid_intent"  # non-positive amount or price, or not post-only
    MAX_ORDER_NOTIONAL = "max_order_notional"
    MAX_TOTAL_HEDGE_NOTIONAL = "max_total_hedge_notional"
    MAX_HEDGE_RATIO = "max_hedge_ratio"
    NET_LONG = "net_long"  # a hedge is a short: no order may leave the instrument net long
    MAX_LEVERAGE = "max_leverage"
    INSUFFICIENT_MARGIN = "insufficient_margin"  # the leverage set needs more initial margin than the collateral
    MAX_ORDERS_PER_MINUTE = "max_orders_per_minute"
    MAX_PRICE_DEVIATION = "max_price_deviation_bps"
    MAX_DATA_AGE = "max_data_age"
    MIN_LIQUIDATION_DISTANCE = "min_liquidation_distance"
    MAX_DAILY_TURNOVER = "max_daily_turnover"
    MAX_DAILY_FUNDING_COST = "max_daily_funding_cost"
    CHECK_FAILED = "check_failed"  # a check could not be evaluated (missing data, a bug): fail closed


@dataclass(frozen=True, slots=True)
class Denial:
    """One reason an intent may not be sent: the limit's code, the value found and the limit, in words too."""

    code: DenialCode
    message: str
    value: Decimal | None = None
    limit: Decimal | None = None


@dataclass(frozen=True, slots=True)
class RiskDecision:
    """The gate's verdict on one intent: approved when no check denied it. Denied intents are never sent."""

    intent: OrderIntent
    denials: tuple[Denial, ...] = ()

    @property
    def approved(self) -> bool:
        return not self.denials

    @property
    def summary(self) -> str:
        return "approved" if self.approved else "; ".join(d.message for d in self.denials)
