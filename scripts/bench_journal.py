#!/usr/bin/env python3
"""Benchmark: how much the journal grows in a simulated day, on a day the bot trades nothing and on one it trades.

Each replay scenario runs the replay (``bot.replay.session``: the real loop and journal against the in-process
simulator) a cycle every 30 s (the default ``execution.interval``) for one day, then again from the same start for
two, and reports the second day's growth: the journal file's bytes once the replay has closed it, and its rows per
table. The replay beats no heartbeat, so a third scenario journals a day of the running bot's heartbeats (one every
30 s: ``watchdog.window`` / 4 at the default window) on their own.

  idle       the demo's configuration and account (scripts/demo.toml: BTC, ETH and SOL hedged on their own
             perpetuals; 60,000 USDT, 150 SOL, 4 ETH), 9 Oct 2025 00:00 UTC on the bundled sample: the hedge is built
             on the first day; the second, 10 Oct, is the liquidation cascade, and a hedge sized in contracts needs
             no order through it
  active     the sample portfolio `hedgebot replay` uses with no configuration (every spot asset of the June 2022
             sample at about 5,000 USDT, hedged at 75 %, five of them by proxy on BTC with estimated betas) from
             12 June 2022 00:00 UTC: the second day, 13 June, is the crash, and the betas and values move the hedge
  heartbeat  2,880 heartbeats, 30 s apart, of one run

usage: scripts/bench_journal.py [--scenarios idle active heartbeat] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.clock import ManualClock  # noqa: E402
from bot.config import AppConfig, load_config  # noqa: E402
from bot.journal import open_journal  # noqa: E402
from bot.logging import configure_logging  # noqa: E402
from bot.replay.session import ReplayOptions, prepare, run  # noqa: E402

DAY = timedelta(days=1)
STEP = timedelta(seconds=30)
BALANCES = {"USDT": Decimal(60000), "SOL": Decimal(150), "ETH": Decimal(4)}


@dataclass(frozen=True, slots=True)
class Growth:
    """One scenario's second simulated day: the journal's bytes and rows then, and the orders it journaled."""

    scenario: str
    bytes_per_day: int
    rows_per_day: dict[str, int]
    orders_that_day: int
    cpu_s: float


def replayed(config: AppConfig | None, sample: str, start: datetime, days: int, out: Path) -> dict[str, int]:
    """Replay ``days`` from ``start``; the closed journal's bytes and rows per table (``"bytes"``, then tables)."""
    options = ReplayOptions(
        sample=sample, start=start, end=start + days * DAY, step=STEP, out=out,
        balances=BALANCES if config is not None else None,
    )  # fmt: skip
    prepared = prepare(config, None, options)
    asyncio.run(run(prepared))
    return {"bytes": prepared.journal.stat().st_size, **rows(prepared.journal)}


def rows(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in tables}
    finally:
        conn.close()


def second_day(name: str, config: AppConfig | None, sample: str, start: datetime) -> Growth:
    cpu = time.process_time()
    with tempfile.TemporaryDirectory(prefix="bench-journal-") as out:
        one = replayed(config, sample, start, 1, Path(out) / "one")
        two = replayed(config, sample, start, 2, Path(out) / "two")
    grown = {
        table: two[table] - one.get(table, 0) for table in two if table != "bytes" and two[table] != one.get(table)
    }
    return Growth(name, two["bytes"] - one["bytes"], grown, grown.get("orders", 0), time.process_time() - cpu)


def heartbeats() -> Growth:
    cpu = time.process_time()
    with tempfile.TemporaryDirectory(prefix="bench-journal-") as out:
        path = Path(out) / "journal.sqlite"
        clock = ManualClock(datetime(2025, 10, 10, tzinfo=UTC))
        journal = open_journal(path, clock, durable=False)
        journal.start_run("bench1", mode="sim", config_hash="-", version="-")
        journal.close()
        before = path.stat().st_size
        journal = open_journal(path, clock, durable=False)
        for _ in range(int(DAY / STEP)):
            journal.record_heartbeat("bench1", switch=None)
            clock.advance(STEP)
        journal.close()
        grown = path.stat().st_size - before
        beats = rows(path).get("heartbeats", 0)
    return Growth("heartbeat", grown, {"heartbeats": beats}, 0, time.process_time() - cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenarios", nargs="+", default=["idle", "active", "heartbeat"], help="default: all three")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    configure_logging("warning")
    print(f"load average {os.getloadavg()[0]:.1f}", file=sys.stderr)
    results = []
    for name in args.scenarios:
        if name == "idle":
            config = load_config(ROOT / "scripts" / "demo.toml")
            start = datetime(2025, 10, 9, tzinfo=UTC)
            results.append(second_day(name, config, "2025-10-liquidation-cascade", start))
        elif name == "active":
            results.append(second_day(name, None, "2022-06-3ac-crash", datetime(2022, 6, 12, tzinfo=UTC)))
        elif name == "heartbeat":
            results.append(heartbeats())
        else:
            raise SystemExit(f"unknown scenario {name!r}: idle, active or heartbeat")
    if args.json:
        print(json.dumps([asdict(r) for r in results], indent=2))
        return 0
    for r in results:
        table_rows = ", ".join(f"{table} {n}" for table, n in sorted(r.rows_per_day.items()))
        print(
            f"{r.scenario}: {r.bytes_per_day:,} bytes a simulated day ({r.orders_that_day} orders); rows: {table_rows}"
            f" [{r.cpu_s:.0f} s CPU]"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
