"""The soak's measures: the bot process's memory and open files over the run, and the journal's rows per day.

Memory is the resident set (``VmRSS``) and its peak so far (``VmHWM``) from ``/proc/PID/status``; open files are
the entries of ``/proc/PID/fd``. "Flat" compares the first hour of the run (once the bot has warmed up) with the
last. The journal's growth is counted per table and per simulated day, each row dated by its own time column (or
its cycle's), so a table that grows with time rather than activity shows the same count every day.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

WARM_UP = 0.1  # the share of the run left out before "start" is measured


@dataclass(frozen=True, slots=True)
class Sample:
    at: float  # wall seconds after the run's start
    rss_kib: int
    peak_kib: int
    open_files: int


@dataclass(slots=True)
class Resources:
    samples: list[Sample] = field(default_factory=list)

    def sample(self, pid: int, at: float) -> None:
        try:
            status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
            files = len(os.listdir(f"/proc/{pid}/fd"))
        except OSError:
            return  # it just ended
        values = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        self.samples.append(Sample(at, _kib(values["VmRSS"]), _kib(values["VmHWM"]), files))

    def window(self, first: bool) -> list[Sample]:
        """The samples of the first hour after the warm-up, or of the last hour."""
        if not self.samples:
            return []
        end = self.samples[-1].at
        hour = max(end / 24, 1.0)  # a simulated hour, in wall seconds, at least a second
        if first:
            start = end * WARM_UP
            return [s for s in self.samples if start <= s.at <= start + hour]
        return [s for s in self.samples if s.at >= end - hour]

    def as_json(self) -> dict[str, object]:
        first, last = self.window(first=True), self.window(first=False)
        return {
            "samples": len(self.samples),
            "rss_mib_start": _mib(max((s.rss_kib for s in first), default=0)),
            "rss_mib_end": _mib(max((s.rss_kib for s in last), default=0)),
            "peak_rss_mib_start": _mib(max((s.peak_kib for s in first), default=0)),
            "peak_rss_mib_end": _mib(max((s.peak_kib for s in last), default=0)),
            "open_files_start": max((s.open_files for s in first), default=0),
            "open_files_end": max((s.open_files for s in last), default=0),
        }


def _kib(text: str) -> int:
    return int(text.split()[0])


def _mib(kib: int) -> float:
    return round(kib / 1024, 1)


# Each table's rows, dated (ms) by their own time or their cycle's.
DATED = {
    "runs": "SELECT started_ms FROM runs",
    "cycles": "SELECT at_ms FROM cycles",
    "targets": "SELECT c.at_ms FROM targets t JOIN cycles c ON c.cycle_id = t.cycle_id",
    "decisions": "SELECT c.at_ms FROM decisions d JOIN cycles c ON c.cycle_id = d.cycle_id",
    "intents": "SELECT c.at_ms FROM intents i JOIN cycles c ON c.cycle_id = i.cycle_id",
    "risk_decisions": "SELECT at_ms FROM risk_decisions",
    "approvals": "SELECT at_ms FROM approvals",
    "orders": "SELECT at_ms FROM orders",
    "order_events": "SELECT at_ms FROM order_events",
    "fills": "SELECT recorded_ms FROM fills",
    "funding": "SELECT recorded_ms FROM funding",
    "state_changes": "SELECT at_ms FROM state_changes",
    "errors": "SELECT at_ms FROM errors",
    "policy_states": "SELECT at_ms FROM policy_states",
    "heartbeats": "SELECT at_ms FROM heartbeats",  # one row per run, updated in place
    "unchanged_cycles": "SELECT last_ms FROM unchanged_cycles",  # one row per run of unchanged cycles, likewise
}


def journal_growth(journal: Path, started: float, speed: float) -> dict[str, list[int]]:
    """Rows per table per simulated day of a run that started at wall time ``started`` (seconds)."""
    if not journal.exists():
        return {}
    conn = sqlite3.connect(f"{journal.resolve().as_uri()}?mode=ro", uri=True)
    try:
        growth: dict[str, list[int]] = {}
        for table, sql in DATED.items():
            days: dict[int, int] = {}
            for (ms,) in conn.execute(sql):
                day = int((ms / 1000 - started) * speed // 86400)
                days[day] = days.get(day, 0) + 1
            growth[table] = [days.get(day, 0) for day in range(max(days, default=-1) + 1)]
        return growth
    finally:
        conn.close()
