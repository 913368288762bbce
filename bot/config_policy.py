"""The ``[policy]`` configuration schema: which policy sets the hedge ratio, and its modifiers' parameters."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import Field, model_validator

from bot.config_types import (
    Asset,
    Count,
    Fraction,
    HedgeRatio,
    NonNegativeDecimal,
    NonNegativeDuration,
    PerpSymbol,
    PositiveDecimal,
    StrictModel,
)
from bot.settings import ModifierName, PolicyName


class ProxyParams(StrictModel):
    """How holdings without a usable perpetual are hedged with a liquid proxy perpetual."""

    default_instrument: PerpSymbol | None = None
    default_beta: PositiveDecimal | Literal["estimate"] = Decimal(1)  # for holdings on default_instrument
    min_perp_depth_notional: NonNegativeDecimal = Decimal(0)
    beta_lookback: Count = Field(default=288, ge=20, le=100_000)
    beta_shrinkage: Fraction = Decimal("0.3")
    min_r_squared: Fraction = Decimal("0.3")


class EventWindow(StrictModel):
    """A period (an unlock, a CPI print, a rebalance) with its own hedge ratio."""

    name: str
    start: datetime
    end: datetime
    ratio: HedgeRatio
    ramp_in: NonNegativeDuration = timedelta(0)
    ramp_out: NonNegativeDuration = timedelta(0)
    assets: list[Asset] = Field(default_factory=list)  # empty: every holding

    @model_validator(mode="after")
    def _ordered(self) -> EventWindow:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("start and end need a time zone, e.g. 2026-12-01T14:00:00Z")
        if self.end <= self.start:
            raise ValueError(f"end ({self.end.isoformat()}) must be after start ({self.start.isoformat()})")
        try:  # the ramps are reckoned from these times: they must stay within the calendar
            self.start - self.ramp_in, self.end + self.ramp_out
        except OverflowError:
            raise ValueError("start - ramp_in and end + ramp_out must be dates between years 1 and 9999") from None
        return self


class EventWindowParams(StrictModel):
    windows: list[EventWindow] = Field(default_factory=list)


class FundingGuardParams(StrictModel):
    """Scale the hedge down, to a floor, when the funding the short pays costs more than this per year."""

    max_annual_cost: NonNegativeDecimal = Decimal("0.20")
    floor: Fraction = Decimal("0.5")


class TakeProfitParams(StrictModel):
    """After the hedged price falls ``trigger_drop`` from the hedge's build price, close a fraction of it."""

    trigger_drop: Fraction = Decimal("0.20")
    close_fraction: Fraction = Decimal("0.5")
    rearm_recovery: Fraction = Decimal("0.10")


class PolicyConfig(StrictModel):
    name: PolicyName = "fixed_ratio"
    ratio: HedgeRatio = Decimal("0.5")
    modifiers: list[ModifierName] = Field(default_factory=list)
    proxy: ProxyParams = Field(default_factory=ProxyParams)
    event_window: EventWindowParams = Field(default_factory=EventWindowParams)
    funding_guard: FundingGuardParams = Field(default_factory=FundingGuardParams)
    take_profit: TakeProfitParams = Field(default_factory=TakeProfitParams)

    @model_validator(mode="after")
    def _windows_when_needed(self) -> PolicyConfig:
        if self.name == "event_window" and not self.event_window.windows:
            raise ValueError("policy 'event_window' needs at least one [[policy.event_window.windows]] entry")
        if len(set(self.modifiers)) != len(self.modifiers):
            raise ValueError("each modifier may appear only once")
        return self
