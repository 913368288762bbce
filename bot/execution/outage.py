"""Venue outages: trading pauses while the venue cannot be read and resumes by itself once it can.

A cycle whose reads (or cancels) still fail after the adapter's retries (``VENUE_DOWN``: the venue is down, in
maintenance, throttling us, unreachable, or rejecting our clock) sends nothing more and ends as a paused cycle;
the next cycle tries again. Rules:

1. nothing new is sent while the venue cannot be read, so a position the bot cannot read is never grown; the
   trading state (ACTIVE, REDUCING, HALTED) is left as it is, and a pause never survives a restart;
2. the pause and the resumption are journaled (``errors`` rows of kinds ``venue_unreachable`` and
   ``venue_reachable``) and logged (``venue.unreachable``, ``venue.reachable``) once each per outage;
3. resting orders are left as they are, unless the outage lasts ``risk.max_outage``: then the bot cancels them
   (retried each cycle until the venue takes the cancels) and raises a ``venue_unreachable`` alert; the
   resumption after such an alert raises ``venue_reachable``, which clears it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import structlog

from bot.alerts import events
from bot.alerts.events import AlertEvent
from bot.errors import ClockSkew, ExchangeUnavailable, RateLimited
from bot.journal.writer import Journal

log = structlog.get_logger(__name__)

VENUE_DOWN = (ExchangeUnavailable, RateLimited, ClockSkew)
JOURNAL_DOWN = "venue_unreachable"
JOURNAL_BACK = "venue_reachable"

Alert = Callable[[AlertEvent], None]
CancelOrders = Callable[[str], Awaitable[int]]  # cancel every resting order of ours, giving the reason


@dataclass(frozen=True, slots=True)
class Outage:
    since: datetime
    error: str  # the latest failure, as the adapter described it
    cycles: int = 1  # paused cycles so far
    past_limit: bool = False  # lasted risk.max_outage: alerted, resting orders to cancel
    orders_cancelled: bool = False  # the venue took the cancels of our resting orders

    def lasted(self, now: datetime) -> timedelta:
        return now - self.since


class OutageWatch:
    """One venue's outage across cycles; ``alert`` sends its alerts."""

    def __init__(self, journal: Journal, run_id: str, venue: str, limit: timedelta, alert: Alert) -> None:
        self._journal = journal
        self._run_id = run_id
        self._venue = venue
        self._limit = limit
        self.alert = alert  # the run's alerts (``RunAlerts.notify``)
        self.current: Outage | None = None

    async def down(self, now: datetime, failure: Exception, cancel: CancelOrders) -> Outage:
        """A cycle could not read the venue: start the outage (journaled, logged) or carry it on; past the limit,
        alert once and ``cancel`` our resting orders (again each cycle until the venue takes the cancels)."""
        error = f"{type(failure).__name__}: {failure}"
        outage = self.current
        if outage is None:
            outage = Outage(now, error)
            self._journal.record_error(self._run_id, JOURNAL_DOWN, f"trading paused: the venue cannot be read: {error}")
            log.warning("venue.unreachable", venue=self._venue, error=error, max_outage=self._limit)
        else:
            outage = replace(outage, error=error, cycles=outage.cycles + 1)
            log.info("venue.still_unreachable", venue=self._venue, error=error, seconds=_seconds(outage.lasted(now)))
        if not outage.past_limit and outage.lasted(now) >= self._limit:
            outage = replace(outage, past_limit=True)
            log.error("venue.outage_long", venue=self._venue, seconds=_seconds(outage.lasted(now)), error=error)
            self._send(events.venue_unreachable(self._venue, outage.since, error, at=now))
        if outage.past_limit and not outage.orders_cancelled:
            try:
                await cancel(f"the venue has been unreadable since {outage.since.isoformat()}")
                outage = replace(outage, orders_cancelled=True)
            except VENUE_DOWN as exc:
                log.info("venue.cancel_failed", venue=self._venue, error=str(exc))
        self.current = outage
        return outage

    def up(self, now: datetime) -> Outage | None:
        """A cycle read the venue: end the outage, if there was one (journaled, logged, alert cleared)."""
        outage, self.current = self.current, None
        if outage is None:
            return None
        lasted = _seconds(outage.lasted(now))
        detail = f"trading resumed: the venue was unreadable for {lasted} s ({outage.cycles} cycle(s) paused)"
        self._journal.record_error(self._run_id, JOURNAL_BACK, detail)
        log.warning("venue.reachable", venue=self._venue, seconds=lasted, cycles=outage.cycles)
        if outage.past_limit:
            self._send(events.venue_reachable(self._venue, outage.since, at=now))
        return outage

    def _send(self, event: AlertEvent) -> None:
        self.alert(event)


def _seconds(span: timedelta) -> float:
    return round(span.total_seconds(), 1)
