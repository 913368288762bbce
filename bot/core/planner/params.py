"""The planner's settings as plain values (from ``[execution]`` and ``[risk]``; see bot.core.factory)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from bot.domain import ONE, Rounding


@dataclass(frozen=True, slots=True)
class PlannerParams:
    band: Decimal = Decimal("0.05")  # act when the uncovered gap exceeds this fraction of the target...
    hysteresis: Decimal = Decimal("0.5")  # ...and, once acting, until it is within band x hysteresis
    min_notional: Decimal = Decimal(10)  # gaps worth less than this (quote currency) are left alone
    rounding: Rounding = Rounding.DOWN  # how the target is rounded onto the lot step
    passive_offset_ticks: int = 0  # sells this many ticks above the best ask, buys below the best bid
    reprice_threshold_bps: Decimal = Decimal(5)  # re-price a resting order when the touch moved more than this
    order_ttl: timedelta = timedelta(minutes=2)  # ...or when it is older than this
    max_reprices_per_minute: int = 6  # per instrument
    max_order_notional: Decimal = Decimal(2000)  # per order: min(execution.slice_max_notional, risk.max_order_notional)
    max_depth_share: Decimal = Decimal("0.25")  # our resting orders on a side: at most this share of its depth
    max_hedge_ratio: Decimal = ONE  # the short never exceeds full_contracts x this
    max_data_age: timedelta = timedelta(seconds=15)  # older prices, books and tickers are not traded on
