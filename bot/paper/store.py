"""Where a dry run keeps its state: the file names beside the journal, the paper venue's file and its lock.

A dry run never shares a file with a real run: its journal is ``<journal>.dry-run.sqlite`` and its paper venue
``<journal>.dry-run.venue.json`` (``<journal>`` being ``[journal] path`` without its suffix; with hedges on several
venues, one per venue: ``<journal>.dry-run.<venue>.venue.json``). The venue file is
written whole and renamed into place after every change, so a crash leaves the last complete state; one process at
a time may change it (``lock``).
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from bot.errors import PreflightError

SUFFIX = ".dry-run"


def dry_run_journal(journal: Path) -> Path:
    """The dry run's journal beside the real one: ``hedgebot-journal.sqlite`` -> ``hedgebot-journal.dry-run.sqlite``."""
    return journal.with_name(f"{journal.stem}{SUFFIX}{journal.suffix or '.sqlite'}")


def venue_file(journal: Path, venue: str | None = None) -> Path:
    """The paper venue's file for the dry-run journal ``journal``; with ``venue`` (a dry run trading several venues),
    that venue's: ``<journal>.dry-run.<venue>.venue.json``."""
    return journal.with_name(f"{journal.stem}{'' if venue is None else '.' + venue}.venue.json")


def load(path: Path) -> dict[str, Any] | None:
    """The saved state, or None when there is none yet."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    data = json.loads(text)
    if not isinstance(data, dict):
        raise PreflightError(f"{path} is not a paper venue's state: delete it to start the dry run afresh")
    return data


def save(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` whole, then rename it into place (the old state stays until the new one is complete)."""
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        json.dump(data, handle, separators=(",", ":"))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


@contextmanager
def lock(path: Path) -> Iterator[None]:
    """Hold the paper venue's lock while it may change; ``PreflightError`` if another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle: IO[str] = path.with_name(f".{path.name}.lock").open("a")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PreflightError(
                f"another dry run is trading on the paper venue {path}: stop it first (one dry run per journal)"
            ) from None
        yield
    finally:
        handle.close()
