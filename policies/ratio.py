"""Base policies: `fixed_ratio` (one ratio, or one per holding) and `event_window` (ratios on a schedule)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import ClassVar

from bot.domain import ONE, ZERO
from bot.settings import EventWindowSettings, PolicySettings

_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class FixedRatio:
    """The same ratio at all times: the holding's own ratio if it has one, else the policy's."""

    name: ClassVar[str] = "fixed_ratio"

    default: Decimal
    per_asset: Mapping[str, Decimal] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, policy: PolicySettings, per_asset: Mapping[str, Decimal]) -> FixedRatio:
        return cls(policy.ratio, per_asset)

    def ratio(self, asset: str, now: datetime) -> tuple[Decimal, str]:
        if asset in self.per_asset:
            return self.per_asset[asset], "holding's own ratio"
        return self.default, "policy ratio"


@dataclass(frozen=True, slots=True)
class EventWindowRatio:
    """A schedule of windows over a base ratio: inside a window its ratio; ramps move linearly in and out.

    A window with ``ramp_in`` starts moving from the base ratio toward its own at ``start - ramp_in`` and
    reaches it at ``start``; with ``ramp_out`` it returns to the base ratio between ``end`` and
    ``end + ramp_out``. Where windows overlap, the highest resulting ratio wins (insurance errs toward cover).
    """

    name: ClassVar[str] = "event_window"

    base: FixedRatio
    windows: tuple[EventWindowSettings, ...]

    @classmethod
    def from_settings(cls, policy: PolicySettings, per_asset: Mapping[str, Decimal]) -> EventWindowRatio:
        return cls(FixedRatio.from_settings(policy, per_asset), policy.windows)

    def ratio(self, asset: str, now: datetime) -> tuple[Decimal, str]:
        base, source = self.base.ratio(asset, now)
        best: tuple[Decimal, str] | None = None
        for window in self.windows:
            if window.assets and asset not in window.assets:
                continue
            weight = window_weight(window, now)
            if weight == ZERO:
                continue
            ratio = base + weight * (window.ratio - base)
            if best is None or ratio > best[0]:
                best = (ratio, f"window {window.name!r} {_phase(window, now, weight)}")
        return best if best is not None else (base, f"{source}, outside every window")


def window_weight(window: EventWindowSettings, now: datetime) -> Decimal:
    """How far ``now`` is into the window: 0 outside it and its ramps, 1 inside, linear on the ramps."""
    if window.start <= now <= window.end:
        return ONE
    ramp_start = window.start - window.ramp_in
    if window.ramp_in and ramp_start <= now < window.start:
        return _fraction(now - ramp_start, window.ramp_in)
    ramp_end = window.end + window.ramp_out
    if window.ramp_out and window.end < now < ramp_end:
        return _fraction(ramp_end - now, window.ramp_out)
    return ZERO


def _fraction(part: timedelta, whole: timedelta) -> Decimal:
    return Decimal(part // _MICROSECOND) / Decimal(whole // _MICROSECOND)


def _phase(window: EventWindowSettings, now: datetime, weight: Decimal) -> str:
    if weight == ONE:
        return "active"
    return f"ramping {'in' if now < window.start else 'out'} ({weight:.0%} weight)"
