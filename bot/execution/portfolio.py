"""The desks' hedges, shared in process: what each desk's risk gate counts of the other venues' (portfolio limits).

    portfolio = Portfolio(desk.venue.name for desk in desks)      # one for every desk of the process
    Run(..., portfolio=portfolio)                                  # the cycle publishes after its gate and reads
    elsewhere = portfolio.others(venue, journal)                   # the others' before it (``bot.risk.portfolio``)

A desk publishes its worst case (positions plus our resting orders that would grow them, and the orders its gate just
approved, at the mark) every cycle it decides. A desk that has not decided yet, whose venue cannot be read, or that
ended (refused at start-up, halted, stopped) has no live figure: its venue counts what the journal explains there
(baseline plus our fills) at the price of our last fill, or, when even that is unknown, as unknown (growth blocked).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import structlog

from bot.journal.reader import JournalReader
from bot.risk.context import RiskContext
from bot.risk.decision import RiskDecision
from bot.risk.portfolio import VenueExposure, journal_exposure

log = structlog.get_logger(__name__)

NOT_READ_YET = "its desk has not read it yet"


class Portfolio:
    """The latest exposure of each desk of the process, by venue."""

    def __init__(self, venues: Iterable[str]) -> None:
        self.venues = tuple(dict.fromkeys(venues))
        self._live: dict[str, VenueExposure] = {}
        self._why = dict.fromkeys(self.venues, NOT_READ_YET)

    def publish(self, venue: str, context: RiskContext, decisions: Sequence[RiskDecision]) -> None:
        """``venue``'s worst case once the intents its gate approved rest too; withdrawn if it cannot be computed."""
        for decision in decisions:
            if decision.approved:
                context = context.with_approved(decision.intent)
        try:
            exposure = VenueExposure.live(
                venue, notional=context.exposure_notional(), resting=context.resting_notional()
            )
        except Exception as exc:  # fail closed: the others then count the journal's account of it
            self.withdraw(venue, f"its desk could not value its hedge ({type(exc).__name__}: {exc})")
            return
        self._live[venue] = exposure

    def withdraw(self, venue: str, why: str) -> None:
        """``venue``'s live figure no longer holds (``why``): the journal's account of it counts instead."""
        if self._live.pop(venue, None) is not None or self._why.get(venue) != why:
            log.info("portfolio.withdrawn", venue=venue, why=why)
        self._why[venue] = why

    def others(self, venue: str, journal: JournalReader) -> tuple[VenueExposure, ...]:
        """Every other venue's exposure: live, else from ``journal``, else unknown."""
        return tuple(self._of(other, journal) for other in self.venues if other != venue)

    def _of(self, venue: str, journal: JournalReader) -> VenueExposure:
        live = self._live.get(venue)
        if live is not None:
            return live
        positions = {p.symbol: p.contracts for p in journal.explained_positions() if p.venue == venue}
        return journal_exposure(venue, positions, journal.contract_prices(venue), why=self._why[venue])
