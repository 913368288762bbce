"""Real `hedgebot` processes for end-to-end tests and the chaos harness: start, kill, reap, and their logs.

Each process is ``sys.executable -m bot ...`` (or another module that runs the bot, e.g. a patched copy) from the
repository's root, with no ``HEDGEBOT_`` variable of the caller's environment, its output appended to a log file.
A killer process (``tests/support/killer.py``) can SIGKILL one a chosen time after its journal shows a given
number of order rows: that is what lands kills between the journal write and the request leaving.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KILLER = Path(__file__).resolve().parent / "killer.py"
BOT = ("-m", "bot")  # how the interpreter runs the bot


async def start_hedgebot(
    args: list[str],
    log: Path,
    stdin: int = subprocess.DEVNULL,
    *,
    runner: Sequence[str] = BOT,
    env: Mapping[str, str] | None = None,
) -> asyncio.subprocess.Process:
    """`python -m bot ARGS` (``stdin`` may be a terminal; ``runner`` another way to run the bot; ``env`` more
    variables), output appended to ``log``."""
    base = {key: value for key, value in os.environ.items() if not key.startswith("HEDGEBOT_")}
    with log.open("ab") as output:
        return await asyncio.create_subprocess_exec(
            sys.executable, *runner, *args,
            cwd=ROOT, stdin=stdin, stdout=output, stderr=subprocess.STDOUT,
            env=base | {"PYTHONUNBUFFERED": "1"} | dict(env or {}),
        )  # fmt: skip


async def hedgebot(args: list[str], log: Path, env: Mapping[str, str] | None = None) -> tuple[int, str]:
    """Run `python -m bot ARGS` to the end (at most a minute): its exit code and what it printed (also appended to
    ``log``); ``env``: more variables."""
    start = log_size(log)
    process = await start_hedgebot(args, log, env=env)
    try:
        async with asyncio.timeout(60):
            code = await process.wait()
    finally:
        await reap(process)
    return code, log_since(log, start)


def log_size(log: Path) -> int:
    return log.stat().st_size if log.exists() else 0


def log_since(log: Path, start: int = 0) -> str:
    """What was appended to ``log`` after it was ``start`` bytes long."""
    return log.read_bytes()[start:].decode("utf-8", errors="replace") if log.exists() else ""


async def wait_for_log(log: Path, text: str, count: int = 1, seconds: float = 20.0) -> None:
    """Until ``text`` appears ``count`` times in ``log``."""
    if not await wait_until(lambda: log_since(log).count(text) >= count, seconds):
        raise AssertionError(f"{text!r} never appeared {count} time(s) in the log:\n{log_tail(log)}")


async def wait_until(condition: Callable[[], bool], seconds: float = 20.0) -> bool:
    """Until ``condition()`` holds (True), or ``seconds`` have passed (False)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(0.05)
    return True


def log_tail(log: Path, lines: int = 25) -> str:
    return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


@dataclass(frozen=True, slots=True)
class Shot:
    killed: bool  # False: the run ended, or the time ran out, before the row appeared
    at_ms: float  # wall-clock ms of the kill (or of giving up)


async def kill_when(
    journal: Path, bot: asyncio.subprocess.Process, trigger: str, count: int, delay: float, patience: float
) -> Shot:
    """SIGKILL ``bot`` ``delay`` seconds after the journal holds ``count`` order rows ``written`` (or ``answered``):
    the killer process watches. If that never happens within ``patience`` seconds, kill it anyway (not a kill
    during placement). The bot is reaped either way."""
    killer = await asyncio.create_subprocess_exec(
        sys.executable, str(KILLER), str(journal), str(bot.pid), trigger, str(count), str(delay), str(patience),
        cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        output, _ = await killer.communicate()
    finally:
        await reap(killer)
    report = json.loads(output)
    at_ms = report["at_ms"] if report["killed"] else time.time() * 1000
    await reap(bot)
    return Shot(bool(report["killed"]), at_ms)


async def reap(process: asyncio.subprocess.Process) -> None:
    """SIGKILL the process (ours, by its pid) if it still runs, and wait for it."""
    if process.returncode is None:
        process.kill()
    await process.wait()
