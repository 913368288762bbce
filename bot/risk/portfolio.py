"""The other venues' hedges, as one desk's gate counts them: portfolio-wide limits hold across every venue.

    elsewhere = (VenueExposure.live("bybit-2", notional=..., resting=...),        # a desk's latest, shared in process
                 journal_exposure("okx", positions={...}, prices={...}, why="not read yet"))  # or what the journal says
    context = replace(context, elsewhere=elsewhere)     # check_total_notional and check_daily_turnover add them

Pure: values in, values out. An exposure that cannot be known (``notional`` None) is never taken as zero: the gate
then denies every order that would grow a hedge, and lets every reduction through.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from bot.domain import ZERO


class ExposureSource(StrEnum):
    """Where another venue's figure comes from."""

    LIVE = "live"  # its desk's latest view: positions and our resting orders that would grow them, at the mark
    JOURNAL = "journal"  # the journal's account of it (baseline plus our fills) at the last price we filled at
    UNKNOWN = "unknown"  # neither: growth is blocked everywhere until it is known


@dataclass(frozen=True, slots=True)
class VenueExposure:
    """Another venue's hedge notional (worst case, quote currency) and its resting orders' notional."""

    venue: str
    notional: Decimal | None  # None: unknown
    resting: Decimal
    source: ExposureSource
    note: str = ""  # why it is not the desk's live view

    @classmethod
    def live(cls, venue: str, *, notional: Decimal, resting: Decimal) -> VenueExposure:
        return cls(venue, notional, resting, ExposureSource.LIVE)

    def describe(self) -> str:
        if self.notional is None:
            return f"unknown on {self.venue} ({self.note})"
        where = "" if self.source is ExposureSource.LIVE else f", from the journal: {self.note}"
        return f"{self.notional:,.2f} on {self.venue}{where}"


def journal_exposure(
    venue: str, positions: Mapping[str, Decimal], prices: Mapping[str, Decimal], *, why: str
) -> VenueExposure:
    """``venue``'s exposure from the journal: each instrument's explained position (contracts) at the last known
    price of one contract (quote currency); unknown when an open position there has no known price. ``why``: why
    the desk's own view is missing."""
    notional = ZERO
    for symbol, contracts in sorted(positions.items()):
        if not contracts:
            continue
        price = prices.get(symbol)
        if price is None or price <= 0:
            note = f"{why}; the journal explains {contracts} contracts of {symbol} there but knows no price for them"
            return VenueExposure(venue, None, ZERO, ExposureSource.UNKNOWN, note)
        notional += abs(contracts) * price
    return VenueExposure(venue, notional, ZERO, ExposureSource.JOURNAL, why)
