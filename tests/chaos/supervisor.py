"""The bot as a process supervisor runs it: `hedgebot run --approve auto`, restarted whenever it ends.

The harness kills it (SIGKILL, at a moment or right after its next order row) and restarts it; when it ends on its
own, the supervisor reads why from its exit code and last words. Refusing to start while the venue cannot be read
is what an unattended bot should do (it is restarted a second later); a halt, a refusal for any other reason, or
an exit nobody asked for breaks the "keeps trading" invariant (and it is restarted, with ``--resume`` after a halt,
so the run goes on).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.chaos.schedule import Fault
from tests.support.bot_process import BOT, kill_when, log_since, log_size, reap, start_hedgebot
from tests.support.invariants import Invariant, Violation
from tests.support.killer import COUNTS, count

RESTART_AFTER = 1.0  # seconds before restarting a bot that ended on its own
KILL_PATIENCE = 10.0  # seconds to wait for the next order row before killing anyway
REFUSED = "hedgebot: refusing to trade: "
COULD_NOT_READ = ("cannot be read", "cannot read", "cannot load", "cannot switch", "cannot set")  # preflight's words
EXIT_HALTED = 3
STOP_WITHIN = 60.0  # seconds a SIGTERM may take to end the bot


@dataclass(slots=True)
class Supervisor:
    config: Path
    journal: Path
    log: Path
    disturb: Callable[[float], None]  # tells the world a kill or restart happened at this wall time
    faulted_since: Callable[[float], bool]  # whether a fault was active at or after this wall time
    report: Callable[[Violation], None]
    runner: Sequence[str] = BOT
    env: dict[str, str] = field(default_factory=dict)
    restarts: int = 0  # kills by the harness, each followed by a restart
    refusals: int = 0  # starts refused while the venue could not be read
    pids: list[int] = field(default_factory=list)
    _process: asyncio.subprocess.Process | None = None
    _log_from: int = 0
    _started: float = 0.0
    _killing: bool = False
    _stopping: bool = False
    _resume: bool = False
    _watcher: asyncio.Task[None] | None = None

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.returncode is None and not self._killing

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def start(self) -> None:
        args = ["run", "--config", str(self.config), "--approve", "auto"]
        if self._resume:
            args.append("--resume")
            self._resume = False
        self._log_from = log_size(self.log)
        self._started = time.time()
        self._process = await start_hedgebot(args, self.log, runner=self.runner, env=self.env)
        self.pids.append(self._process.pid)
        self.disturb(time.time())
        self._watcher = asyncio.create_task(self._watch(self._process), name="chaos-bot-watch")

    async def kill(self, fault: Fault) -> None:
        """SIGKILL the bot (right after its next order row, if the fault says so), wait, restart it."""
        process = self._process
        if process is None or process.returncode is not None or self._killing or self._stopping:
            return
        self._killing = True
        try:
            if fault.at_order:
                await kill_when(self.journal, process, "written", _order_rows(self.journal) + 1, 0.0, KILL_PATIENCE)
            await reap(process)
            self.disturb(time.time())
            await asyncio.sleep(fault.delay)
            self.restarts += 1
            if not self._stopping:
                await self.start()
        finally:
            self._killing = False

    async def stop(self) -> int | None:
        """SIGTERM (the bot cancels its resting orders, syncs, records the run's end); its exit code."""
        self._stopping = True
        process = self._process
        if process is None:
            return None
        if process.returncode is None:
            process.terminate()
            try:
                async with asyncio.timeout(STOP_WITHIN):
                    await process.wait()
            except TimeoutError:
                self.report(Violation(Invariant.KEEPS_TRADING, f"the bot did not stop within {STOP_WITHIN:.0f} s"))
        await reap(process)
        if self._watcher is not None:
            await self._watcher
        return process.returncode

    async def abort(self) -> None:
        """SIGKILL the bot and stop restarting it (the harness itself failed: leave nothing running)."""
        self._stopping = True
        if self._process is not None:
            await reap(self._process)
        if self._watcher is not None:
            await self._watcher

    async def _watch(self, process: asyncio.subprocess.Process) -> None:
        """When the bot ends on its own: why, and a restart."""
        code = await process.wait()
        if self._killing or self._stopping or process is not self._process:
            return
        said = log_since(self.log, self._log_from).strip().splitlines()
        last = said[-1] if said else ""
        refused = next((line for line in reversed(said) if line.startswith(REFUSED)), "")
        if code == 1 and any(words in refused for words in COULD_NOT_READ) and self.faulted_since(self._started):
            self.refusals += 1
        else:
            why = "halted" if code == EXIT_HALTED else f"ended with exit code {code}"
            self.report(Violation(Invariant.KEEPS_TRADING, f"the bot {why}: {last[-400:]}"))
            self._resume = code == EXIT_HALTED
        self.disturb(time.time())
        await asyncio.sleep(RESTART_AFTER)
        if not self._stopping and process is self._process:
            await self.start()


def _order_rows(journal: Path) -> int:
    """Order rows the bot has written to send, so far."""
    rows, conn = count(journal, COUNTS["written"], None)
    if conn is not None:
        conn.close()
    return rows
