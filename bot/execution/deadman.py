"""The running bot's side of "orders never outlive the bot": its heartbeat and the venue's own dead-man's switch.

While a run is live, a background task beats every ``watchdog.window / 4``: it journals a heartbeat (what `hedgebot
watchdog` watches) and re-arms the venue's own switch where ordinary accounts have one (OKX cancel-all-after, Binance
USD-M countdownCancelAll), set to fire ``watchdog.window`` after the last beat (within the venue's bounds). The beat
runs apart from the cycle, so a long interval or a slow approval prompt never lets the switch fire, and fast cycles
never spend the venue's request budget on it. A switch that cannot be armed is logged, journaled and alerted
(``on_arm``), never fatal: the watchdog is the second line. ``stop`` disarms it when the run leaves no resting order
of ours behind.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from datetime import timedelta

import structlog

from bot.clock import Clock
from bot.errors import HedgebotError
from bot.exchange.port import ExchangePort, SwitchScope
from bot.journal.writer import Journal

log = structlog.get_logger(__name__)

BEATS_PER_WINDOW = 4  # a beat every window / 4: three beats may be lost before the window runs out


class DeadMan:
    def __init__(
        self,
        port: ExchangePort,
        journal: Journal,
        clock: Clock,
        run_id: str,
        *,
        window: timedelta,
        exchange_switch: bool,
        on_arm: Callable[[str | None], None] | None = None,
    ) -> None:
        self._port = port
        self._journal = journal
        self._clock = clock
        self._run_id = run_id
        self.window = window
        self.every = window / BEATS_PER_WINDOW
        switch = port.cancel_switch if exchange_switch else None
        self._switch = switch
        self.fires_after = switch.timeout_for(window) if switch is not None else None
        if switch is not None and self.fires_after is not None:
            self.every = min(self.every, self.fires_after / BEATS_PER_WINDOW)
        self._wanted = exchange_switch
        self._on_arm = on_arm  # told each arming's outcome: None (armed) or the error (the run alerts on it)
        self._symbols: Callable[[], Iterable[str]] = tuple
        self._state: str | None = None  # "armed", "failed: ...", "disarmed ..."; None: never armed
        self._journaled: str | None = None  # the switch line last journaled with a heartbeat
        self._task: asyncio.Task[None] | None = None

    def describe(self) -> str:
        """One line: which protection is active (for the start-up banner)."""
        heartbeat = f"heartbeat every {_seconds(self.every)} for `hedgebot watchdog` (window {_seconds(self.window)})"
        return f"protection: {heartbeat}; exchange-side switch: {self._switch_line()}"

    def _switch_line(self) -> str:
        switch = self._switch
        if switch is None:
            if self._wanted:
                return f"none on venue {self._port.venue} (none for ordinary accounts there: run `hedgebot watchdog`)"
            return "off (watchdog.exchange_switch = false)"
        scope = (
            "our tagged orders" if switch.scope is SwitchScope.OUR_ORDERS else "every order on the hedge instruments"
        )
        state = self._state or "not armed yet"
        return f"{switch.name} on {self._port.venue}, fires {_seconds(self.fires_after)} after the last beat ({scope}): {state}"

    async def start(self, symbols: Callable[[], Iterable[str]]) -> None:
        """The first beat (arming the switch), then a beat every ``every`` until ``stop``."""
        self._symbols = symbols
        await self.beat()
        self._task = asyncio.get_running_loop().create_task(self._beat_forever(), name="heartbeat")

    async def beat(self) -> None:
        """Re-arm the switch and journal a heartbeat (with the switch's state when it changed)."""
        self._state = await self._arm()
        line = self._switch_line()
        self._journal.record_heartbeat(self._run_id, switch=line if line != self._journaled else None)
        self._journaled = line

    async def stop(self, *, disarm: bool) -> None:
        """Stop beating; with ``disarm`` (no resting order of ours is left), stop the venue's switch too."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if not disarm or self._state != "armed":
            return
        try:
            await self._port.disarm_cancel_switch(self._symbols())
        except HedgebotError as exc:
            log.warning("deadman.disarm_failed", venue=self._port.venue, error=str(exc))
            return
        log.info("deadman.disarmed", venue=self._port.venue)
        self._state = "disarmed (the run ended with no resting order of ours)"
        self._journaled = self._switch_line()
        self._journal.record_heartbeat(self._run_id, switch=self._journaled)

    async def _beat_forever(self) -> None:
        while True:
            await asyncio.sleep(self.every.total_seconds())
            try:
                await self.beat()
            except Exception:  # a failed beat must not end the heartbeat: the next one may succeed
                log.exception("deadman.beat_failed")

    async def _arm(self) -> str | None:
        if self._switch is None or self.fires_after is None:
            return None
        try:
            await self._port.arm_cancel_switch(self._symbols(), self.fires_after)
        except HedgebotError as exc:
            log.error("deadman.arm_failed", venue=self._port.venue, error=str(exc))
            failed = f"failed: {exc}"
            if self._state != failed:
                self._journal.record_error(self._run_id, "deadman_arm_failed", str(exc))
            if self._on_arm is not None:
                self._on_arm(str(exc))
            return failed
        if self._on_arm is not None:
            self._on_arm(None)
        return "armed"


def _seconds(duration: timedelta | None) -> str:
    if duration is None:
        return "-"
    seconds = duration.total_seconds()
    return f"{seconds:g}s" if seconds < 120 else f"{seconds / 60:g}m"
