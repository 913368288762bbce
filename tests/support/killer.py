"""Kill the bot a set time after its journal shows a given number of order rows (or answers): its own process.

usage: python tests/support/killer.py JOURNAL PID {written|answered} COUNT DELAY_SECONDS TIMEOUT_SECONDS

``written``: COUNT order rows written to send; ``answered``: COUNT of them with an outcome recorded (acknowledged,
rejected or unknown).

Run apart from the test (standard library only, started in ~30 ms) so it can poll the journal every 0.1 ms
without stalling the simulator in the test's event loop, and kill within microseconds of the moment chosen:
that is what lands kills between the journal write and the request leaving. It signals through a pidfd, so a
process that already ended (and whose pid may be reused) is never signalled. Prints one JSON line:
{"killed": bool, "seen_ms": wall-clock ms the row was seen or null, "at_ms": wall-clock ms of the kill or null}.
"""

from __future__ import annotations

import json
import os
import select
import signal
import sqlite3
import sys
import time
from pathlib import Path

POLL_SECONDS = 0.0001
SPIN_SECONDS = 0.002
COUNTS = {
    "written": "SELECT COUNT(*) FROM orders WHERE origin = 'sent'",
    "answered": "SELECT COUNT(DISTINCT e.client_order_id) FROM order_events e JOIN orders o"
    " ON o.client_order_id = e.client_order_id WHERE o.origin = 'sent'"
    " AND e.kind IN ('acknowledged', 'rejected', 'outcome_unknown')",
}


def count(journal: Path, sql: str, conn: sqlite3.Connection | None) -> tuple[int, sqlite3.Connection | None]:
    """The query's count so far (0 before the bot has created the journal and its schema)."""
    try:
        if conn is None:
            if not journal.exists():
                return 0, None
            conn = sqlite3.connect(f"{journal.as_uri()}?mode=ro", uri=True, isolation_level=None)
        return int(conn.execute(sql).fetchone()[0]), conn
    except sqlite3.Error:
        if conn is not None:
            conn.close()
        return 0, None


def ended(pidfd: int) -> bool:
    return bool(select.select([pidfd], [], [], 0)[0])


def watch(journal: Path, pid: int, sql: str, target: int, delay: float, timeout: float) -> dict[str, object]:
    pidfd = os.pidfd_open(pid)
    deadline = time.monotonic() + timeout
    conn: sqlite3.Connection | None = None
    try:
        while time.monotonic() < deadline and not ended(pidfd):
            seen, conn = count(journal, sql, conn)
            if seen >= target:
                seen_ms = time.time() * 1000
                fire = time.perf_counter() + delay
                if delay > SPIN_SECONDS:
                    time.sleep(delay - SPIN_SECONDS)
                while time.perf_counter() < fire:
                    pass  # spin the last stretch: a sleep overshoots by up to a millisecond
                at_ms = time.time() * 1000
                try:
                    signal.pidfd_send_signal(pidfd, signal.SIGKILL)
                except ProcessLookupError:
                    break  # it ended on its own meanwhile
                return {"killed": True, "seen_ms": seen_ms, "at_ms": at_ms}
            time.sleep(POLL_SECONDS)
        return {"killed": False, "seen_ms": None, "at_ms": None}
    finally:
        if conn is not None:
            conn.close()
        os.close(pidfd)


def main(argv: list[str]) -> int:
    journal, pid, trigger, target, delay, timeout = argv
    print(json.dumps(watch(Path(journal), int(pid), COUNTS[trigger], int(target), float(delay), float(timeout))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
