"""The risk limits the gate enforces, as plain values, with the software's hard caps applied on top."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from bot import limits as hard
from bot.config import RiskConfig


@dataclass(frozen=True, slots=True)
class RiskLimits:
    """One value per ``[risk]`` key; names match the configuration so denial messages name the key."""

    max_leverage: Decimal
    max_order_notional: Decimal
    max_total_hedge_notional: Decimal
    max_hedge_ratio: Decimal
    max_orders_per_minute: int
    max_price_deviation_bps: Decimal
    max_data_age: timedelta
    min_liquidation_distance: Decimal
    max_daily_turnover: Decimal
    max_daily_funding_cost: Decimal

    def __post_init__(self) -> None:
        # Hard caps win over any value, however it was built (config, test, replay).
        object.__setattr__(self, "max_leverage", min(self.max_leverage, hard.MAX_LEVERAGE))
        object.__setattr__(self, "max_hedge_ratio", min(self.max_hedge_ratio, hard.MAX_HEDGE_RATIO))

    @classmethod
    def from_config(cls, risk: RiskConfig) -> RiskLimits:
        return cls(
            max_leverage=risk.max_leverage,
            max_order_notional=risk.max_order_notional,
            max_total_hedge_notional=risk.max_total_hedge_notional,
            max_hedge_ratio=risk.max_hedge_ratio,
            max_orders_per_minute=risk.max_orders_per_minute,
            max_price_deviation_bps=risk.max_price_deviation_bps,
            max_data_age=risk.max_data_age,
            min_liquidation_distance=risk.min_liquidation_distance,
            max_daily_turnover=risk.max_daily_turnover,
            max_daily_funding_cost=risk.max_daily_funding_cost,
        )

    def daily_funding_reached(self, cost_today: Decimal) -> bool:
        """Net funding paid today has reached the limit (with a limit of 0: as soon as any is paid)."""
        return cost_today > 0 and cost_today >= self.max_daily_funding_cost
