"""Stop and halt requests, and waits that give way to them at once (signals set them; the kill-switch file is polled).

A stop (SIGINT, SIGTERM) ends the run cleanly after the step in flight; a halt (SIGUSR1, the kill-switch file)
ends it HALTED. ``Interrupts.wait`` is how the loop waits for anything slow (a person's approval, the pause between
cycles): it returns as soon as either is requested, cancelling the unfinished work, so no approver or pause can
hold a stop or a halt back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from contextlib import suppress
from pathlib import Path
from typing import Any, TypeVar

from bot.risk.kill_switch import check_kill_switch

T = TypeVar("T")

KILL_SWITCH_POLL = 0.25  # seconds between looks at the kill-switch file while waiting
HALT_SIGNAL = "halt signal received (SIGUSR1)"


class Interrupts:
    def __init__(self, kill_switch: Path) -> None:
        self.kill_switch = kill_switch
        self.stop = asyncio.Event()
        self.halt = asyncio.Event()
        self.halt_reason = ""

    def request_stop(self) -> None:
        self.stop.set()

    def request_halt(self, reason: str = HALT_SIGNAL) -> None:
        if not self.halt.is_set():
            self.halt_reason = reason
            self.halt.set()

    @property
    def reason(self) -> str | None:
        """Why a wait was cut short: the halt's reason, "stop requested", or None while neither is."""
        if self.halt.is_set():
            return self.halt_reason
        return "stop requested" if self.stop.is_set() else None

    def poll_kill_switch(self) -> None:
        """Request a halt if the kill-switch file exists (or cannot be checked)."""
        event = check_kill_switch(self.kill_switch)
        if event is not None:
            self.request_halt(event.detail)

    async def wait(self, work: Awaitable[T] | None = None, seconds: float | None = None) -> T | None:
        """``work``'s result; None, with the work cancelled, if a stop or halt comes first or ``seconds`` pass.
        Without ``work``: wait ``seconds`` unless a stop or halt comes first."""
        loop = asyncio.get_running_loop()
        deadline = None if seconds is None else loop.time() + seconds
        task = None if work is None else asyncio.ensure_future(work)
        watchers: list[asyncio.Future[Any]] = []
        try:
            self.poll_kill_switch()
            if task is not None and self.reason is None:  # work done at its first step (an automatic approver)
                await asyncio.sleep(0)  # needs no watchers
            while True:
                self.poll_kill_switch()
                if self.reason is not None:
                    return None
                if task is not None and task.done():
                    return task.result()
                timeout = KILL_SWITCH_POLL
                if deadline is not None:
                    if loop.time() >= deadline:
                        return None
                    timeout = min(timeout, deadline - loop.time())
                if not watchers:
                    watchers = [asyncio.ensure_future(self.stop.wait()), asyncio.ensure_future(self.halt.wait())]
                pending: list[asyncio.Future[Any]] = [*watchers, *([task] if task is not None else [])]
                await asyncio.wait(pending, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for watcher in watchers:
                watcher.cancel()
            if task is not None and not task.done():
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task
