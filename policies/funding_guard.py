"""`funding_guard` modifier: scale a hedge down, to a floor, when the funding its short pays costs too much."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from bot.domain import ONE, HedgeTarget, PerpTicker
from bot.settings import PolicySettings
from policies.state import PolicyState

HOURS_PER_YEAR = Decimal(365 * 24)


def annual_funding_cost(ticker: PerpTicker) -> Decimal | None:
    """What a short pays in funding per year as a fraction of its notional at the current rate (< 0: receives).

    A positive funding rate means longs pay shorts, so the short's cost is ``-rate x settlements per year``.
    """
    if ticker.funding_rate is None or ticker.funding_interval_hours <= 0:
        return None
    return -ticker.funding_rate * HOURS_PER_YEAR / ticker.funding_interval_hours


@dataclass(frozen=True, slots=True)
class FundingGuard:
    """Above ``max_annual_cost`` the hedge is scaled by ``max_annual_cost / cost``, never below ``floor``.

    Scaling in proportion keeps the funding paid near the budget until the floor is reached; the cost is
    reported every cycle either way.
    """

    name: ClassVar[str] = "funding_guard"

    max_annual_cost: Decimal
    floor: Decimal

    @classmethod
    def from_settings(cls, policy: PolicySettings) -> FundingGuard:
        return cls(policy.funding_guard.max_annual_cost, policy.funding_guard.floor)

    def apply(
        self, target: HedgeTarget, ticker: PerpTicker | None, state: PolicyState
    ) -> tuple[Decimal, str, PolicyState]:
        cost = None if ticker is None else annual_funding_cost(ticker)
        if cost is None:
            return ONE, "funding rate unknown: hedge not scaled", state
        verb = "pays" if cost > 0 else "receives"
        paid = f"the short {verb} {abs(cost):.1%} a year in funding"
        if cost <= self.max_annual_cost:
            return ONE, f"{paid} (limit {self.max_annual_cost:.1%})", state
        factor = max(self.floor, self.max_annual_cost / cost)
        return factor, f"{paid}, above {self.max_annual_cost:.1%}: hedge scaled to {factor:.0%}", state
