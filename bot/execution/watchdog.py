"""`hedgebot watchdog`: a process beside the bot that cancels the bot's resting orders when its heartbeat stops.

Rules, in order, at every check:
1. The bot's last sign of life is its newest heartbeat in the journal (``DeadMan`` beats every window / 4), or the
   watchdog's own start if that is later: the bot always gets one whole window. A journal that cannot be read
   gives no sign of life (fail closed).
2. While that is no older than ``window``, nothing is done. A heartbeat newer than the one the watchdog last acted
   on means the bot is back: logged, and the alert condition cleared.
3. Once it is older, every resting order of ours (client id with our prefix) on the bot's instruments is cancelled:
   never a foreign order, never a position. The instruments are those the configuration names for the venue and
   every one the journal holds an order on (each order is journaled before it is sent). Each cancel is journaled
   when the order is in the journal; the firing is journaled (``errors``, kind ``watchdog``), logged and alerted
   once per silence. While the silence lasts, the venue is swept again every window (a late order is cancelled).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

import structlog

from bot.alerts.events import AlertEvent, watchdog_fired, watchdog_key
from bot.clock import Clock
from bot.domain import Order, OrderStatus, is_ours
from bot.errors import ExchangeError, HedgebotError, OrderNotFound
from bot.exchange.port import ExchangePort
from bot.journal.reader import JournalReader, open_reader
from bot.journal.records import Heartbeat
from bot.journal.writer import Journal, open_journal

log = structlog.get_logger(__name__)

CHECKS_PER_WINDOW = 8  # how often the journal is read: every window / 8, at most every MAX_CHECK_EVERY
MAX_CHECK_EVERY = timedelta(seconds=5)


@dataclass(frozen=True, slots=True)
class WatchdogCheck:
    """What one check saw and did."""

    at: datetime
    last_sign: datetime  # the newest heartbeat, or the watchdog's start if later (rule 1)
    heartbeat: Heartbeat | None
    fired: bool  # the silence is longer than the window (rule 3)
    cancelled: tuple[str, ...] = ()  # client ids of our orders this check cancelled

    @property
    def silent(self) -> timedelta:
        return self.at - self.last_sign


class Watchdog:
    def __init__(
        self,
        port: ExchangePort,
        journal: Path,
        clock: Clock,
        *,
        window: timedelta,
        configured: Iterable[str] = (),
        notify: Callable[[AlertEvent], None] | None = None,
        clear: Callable[[str], None] | None = None,
    ) -> None:
        self._port = port
        self._journal = journal
        self._clock = clock
        self.window = window
        self.every = min(window / CHECKS_PER_WINDOW, MAX_CHECK_EVERY)
        self._configured = tuple(configured)
        self._notify = notify
        self._clear = clear
        self._started = clock.now()
        self._fired_at: datetime | None = None  # the last sign of life the watchdog fired on (rule 3)
        self._swept_at: datetime | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Check every ``every`` until ``stop`` is set; a failed check is logged and the next one tries again."""
        while not stop.is_set():
            try:
                await self.check()
            except HedgebotError as exc:
                log.error("watchdog.check_failed", venue=self._port.venue, error=str(exc))
            try:
                await asyncio.wait_for(stop.wait(), self.every.total_seconds())
            except TimeoutError:
                continue

    async def check(self) -> WatchdogCheck:
        now = self._clock.now()
        heartbeat, symbols = self._read_journal()
        last = max(heartbeat.at, self._started) if heartbeat is not None else self._started
        if now - last <= self.window:
            if self._fired_at is not None and last > self._fired_at:
                log.info("watchdog.bot_back", venue=self._port.venue, heartbeat_at=last)
                if self._clear is not None:
                    self._clear(watchdog_key(self._port.venue))
                self._fired_at = self._swept_at = None
            return WatchdogCheck(now, last, heartbeat, fired=False)
        first = self._fired_at != last
        if not first and self._swept_at is not None and now - self._swept_at < self.window:
            return WatchdogCheck(now, last, heartbeat, fired=True)
        cancelled = await self._cancel_ours(symbols, now - last)
        self._fired_at, self._swept_at = last, now
        silent = int((now - last).total_seconds())
        if first:
            log.warning(
                "watchdog.fired", venue=self._port.venue, silent_seconds=silent, cancelled=len(cancelled),
                heartbeat_at=heartbeat.at if heartbeat else None, run_id=heartbeat.run_id if heartbeat else None,
            )  # fmt: skip
            message = f"no heartbeat for {silent}s: {len(cancelled)} resting order(s) of ours cancelled"
            run_id = heartbeat.run_id if heartbeat else None
            self._write(lambda journal: journal.record_error(run_id, "watchdog", message))
            if self._notify is not None:
                self._notify(watchdog_fired(self._port.venue, silent, len(cancelled), at=now))
        return WatchdogCheck(now, last, heartbeat, fired=True, cancelled=cancelled)

    def _read_journal(self) -> tuple[Heartbeat | None, tuple[str, ...]]:
        """The newest heartbeat and every instrument the journal holds an order on (rules 1 and 3)."""
        if not self._journal.exists():
            return None, self._configured
        try:
            with open_reader(self._journal) as reader:
                return reader.latest_heartbeat(), self._symbols(reader)
        except HedgebotError as exc:
            log.error("watchdog.journal_unreadable", journal=str(self._journal), error=str(exc))
            return None, self._configured

    def _symbols(self, reader: JournalReader) -> tuple[str, ...]:
        venue = self._port.venue
        return tuple(sorted({*self._configured, *reader.order_symbols(venue), *reader.hedged_symbols(venue)}))

    async def _cancel_ours(self, symbols: tuple[str, ...], silent: timedelta) -> tuple[str, ...]:
        """Cancel every resting order of ours on ``symbols``; foreign orders and positions are never touched."""
        orders = await self._port.fetch_open_orders(symbols)
        cancelled = []
        note = f"watchdog: no heartbeat for {silent.total_seconds():.0f}s"
        for order in orders:
            cid = order.client_order_id
            if not is_ours(cid) or order.status is not OrderStatus.OPEN or cid is None:
                continue
            self._write(partial(_cancel_requested, cid, note))
            try:
                await self._port.cancel_order(order.symbol, client_order_id=cid)
            except OrderNotFound:
                log.info("watchdog.order_gone", client_order_id=cid, symbol=order.symbol)
            except ExchangeError as exc:
                log.error("watchdog.cancel_failed", client_order_id=cid, symbol=order.symbol, error=str(exc))
                continue
            cancelled.append(cid)
            log.warning("watchdog.order_cancelled", client_order_id=cid, symbol=order.symbol, side=order.side)
            after = await self._port.fetch_order(order.symbol, client_order_id=cid)
            if after is not None:
                self._write(partial(_updated, after, note))
        return tuple(cancelled)

    def _write(self, action: Callable[[Journal], object]) -> None:
        """Write to the journal, if there is one (the watchdog never creates it); a failure is only logged."""
        if not self._journal.exists():
            return
        try:
            journal = open_journal(self._journal, self._clock)
            try:
                action(journal)
            finally:
                journal.close()
        except HedgebotError as exc:
            log.error("watchdog.journal_failed", journal=str(self._journal), error=str(exc))


def _cancel_requested(cid: str, note: str, journal: Journal) -> None:
    if journal.order(cid) is not None:
        journal.record_cancel_requested(cid, note)


def _updated(order: Order, note: str, journal: Journal) -> None:
    if order.client_order_id and journal.order(order.client_order_id) is not None:
        journal.record_order_update(order, note)
