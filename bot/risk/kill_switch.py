"""The kill-switch file check (the one piece of I/O in bot.risk): the loop polls it every cycle."""

from __future__ import annotations

from pathlib import Path

from bot.risk.state import StateEvent, Trigger


def check_kill_switch(path: Path) -> StateEvent | None:
    """A KILL_SWITCH event when ``path`` exists, or when its existence cannot be determined (fail closed)."""
    try:
        engaged = path.exists()
    except OSError as exc:
        return StateEvent(Trigger.KILL_SWITCH, f"cannot check the kill-switch file {path}: {exc}")
    return StateEvent(Trigger.KILL_SWITCH, f"kill-switch file {path} exists") if engaged else None
