"""Specification of the interruptible wait: slow work gives way at once to a stop, a halt or the kill-switch file."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.execution.interrupts import HALT_SIGNAL, KILL_SWITCH_POLL, Interrupts

SLOW = 30.0  # seconds the work would take: far longer than any test waits


class SlowWork:
    """An answer that takes ``SLOW`` seconds (a person at a prompt), noting whether it was cancelled."""

    def __init__(self) -> None:
        self.cancelled = False

    async def answer(self) -> str:
        try:
            await asyncio.sleep(SLOW)
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        return "late"


def stop(interrupts: Interrupts, folder: Path) -> None:
    interrupts.request_stop()


def halt(interrupts: Interrupts, folder: Path) -> None:
    interrupts.request_halt()


def kill_switch(interrupts: Interrupts, folder: Path) -> None:
    (folder / "hedgebot.halt").write_text("stop\n", encoding="utf-8")


async def test_wait_when_the_work_finishes_first_then_its_result() -> None:
    async def quick() -> str:
        return "yes"

    interrupts = Interrupts(Path("/nonexistent/hedgebot.halt"))
    assert await interrupts.wait(quick()) == "yes"
    assert interrupts.reason is None


@pytest.mark.parametrize(
    ("interrupt", "reason"),
    [(stop, "stop requested"), (halt, HALT_SIGNAL), (kill_switch, "hedgebot.halt exists")],
    ids=["stop", "halt signal", "kill-switch file"],
)
async def test_wait_when_interrupted_before_quick_work_then_none_and_the_work_never_starts(
    tmp_path: Path, interrupt: Callable[[Interrupts, Path], None], reason: str
) -> None:
    """Work that would be done at its first step (an automatic approver) is not even started once a stop or halt
    was asked for: nothing is decided after it."""
    started: list[str] = []

    async def quick() -> str:
        started.append("quick")
        return "yes"

    interrupts = Interrupts(tmp_path / "hedgebot.halt")
    interrupt(interrupts, tmp_path)
    assert await interrupts.wait(quick()) is None
    assert started == []
    assert reason in (interrupts.reason or "")


@pytest.mark.parametrize(
    ("interrupt", "reason"),
    [(stop, "stop requested"), (halt, HALT_SIGNAL), (kill_switch, "hedgebot.halt exists")],
    ids=["stop", "halt signal", "kill-switch file"],
)
async def test_wait_when_interrupted_during_slow_work_then_none_at_once_and_the_work_cancelled(
    tmp_path: Path, interrupt: Callable[[Interrupts, Path], None], reason: str
) -> None:
    interrupts = Interrupts(tmp_path / "hedgebot.halt")
    work = SlowWork()
    asyncio.get_running_loop().call_later(0.05, interrupt, interrupts, tmp_path)
    started = time.monotonic()
    assert await interrupts.wait(work.answer()) is None
    assert time.monotonic() - started < 0.05 + 2 * KILL_SWITCH_POLL
    assert work.cancelled
    assert reason in (interrupts.reason or "")


async def test_wait_when_only_seconds_and_nothing_happens_then_returns_after_them(tmp_path: Path) -> None:
    interrupts = Interrupts(tmp_path / "hedgebot.halt")
    started = time.monotonic()
    assert await interrupts.wait(seconds=0.3) is None
    assert 0.3 <= time.monotonic() - started < 0.3 + KILL_SWITCH_POLL
    assert interrupts.reason is None


async def test_request_halt_when_halted_twice_then_the_first_reason_stands() -> None:
    interrupts = Interrupts(Path("/nonexistent/hedgebot.halt"))
    interrupts.request_halt("kill-switch file /x exists")
    interrupts.request_halt()
    assert interrupts.halt_reason == "kill-switch file /x exists"
