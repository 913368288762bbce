#!/usr/bin/env python3
"""Benchmark: how fast ``hedgebot replay`` runs, in cycles per second and wall and CPU seconds.

The replay is the one ``hedgebot replay`` runs (``bot.replay.session``: the real loop, journal and recorder against
the in-process simulator), with the demo's configuration (scripts/demo.toml: BTC, ETH and SOL hedged on their own
perpetuals) and the demo's account (60,000 USDT, 150 SOL, 4 ETH; 0.2 BTC in a hardware wallet), one cycle a
market minute. Two windows:

  sample  the bundled 2025-10-liquidation-cascade sample, 9 to 13 Oct 2025 (5,760 cycles): always there;
  month   October 2025 (43,200 cycles) from ../shared/data/09_2025_spot_perp_5m (or --data DIR): the issue's goal,
          a month of 1-minute cycles on 3 instruments in at most 2 minutes of wall time; skipped when the data is
          absent.

Wall time is what a user waits (loading the data included); CPU time is this process's, which on a loaded machine
says more than wall time does. The load average before and after is printed with the machine.

usage: scripts/bench_replay.py [--windows sample month] [--data DIR] [--cycles N] [--profile FILE] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import load_config  # noqa: E402
from bot.logging import configure_logging  # noqa: E402
from bot.replay.session import ReplayOptions, prepare, run  # noqa: E402

CONFIG = ROOT / "scripts" / "demo.toml"
BALANCES = {"USDT": Decimal(60000), "SOL": Decimal(150), "ETH": Decimal(4)}
MONTH_DATA = ROOT.parent.parent / "shared" / "data" / "09_2025_spot_perp_5m"  # from a worktree under /work/wt
if not MONTH_DATA.is_dir():
    MONTH_DATA = ROOT.parent / "shared" / "data" / "09_2025_spot_perp_5m"  # from a clone beside ../shared


@dataclass(frozen=True, slots=True)
class Window:
    name: str
    options: ReplayOptions


@dataclass(frozen=True, slots=True)
class Result:
    window: str
    cycles: int
    fills: int
    wall_s: float
    cpu_s: float
    cycles_per_s: float
    ms_per_cycle_cpu: float


def windows(names: list[str], data: Path, cycles: int | None) -> list[Window]:
    found = []
    for name in names:
        if name == "sample":
            start = datetime(2025, 10, 9, tzinfo=UTC)
            end = start + timedelta(minutes=cycles) if cycles else None
            options = ReplayOptions(sample="2025-10-liquidation-cascade", start=start, end=end, balances=BALANCES)
        elif name == "month":
            if not data.is_dir():
                print(f"month: skipped, no market data at {data} (give --data DIR)", file=sys.stderr)
                continue
            start = datetime(2025, 10, 1, tzinfo=UTC)
            end = start + timedelta(minutes=cycles) if cycles else datetime(2025, 11, 1, tzinfo=UTC)
            options = ReplayOptions(data=(data,), start=start, end=end, balances=BALANCES)
        else:
            raise SystemExit(f"unknown window {name!r}: sample or month")
        found.append(Window(name, options))
    return found


def measure(window: Window, profile: Path | None) -> Result:
    config = load_config(CONFIG)
    with tempfile.TemporaryDirectory(prefix="bench-replay-") as out:
        options = replace(window.options, out=Path(out))
        wall, cpu = time.perf_counter(), time.process_time()
        profiler = cProfile.Profile() if profile else None
        if profiler:
            profiler.enable()
        prepared = prepare(config, None, options)
        recording = asyncio.run(run(prepared))
        if profiler and profile:
            profiler.disable()
            profiler.dump_stats(profile)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    cycles = len(recording.steps) - 1
    return Result(window.name, cycles, len(recording.trades), wall, cpu, cycles / wall, 1000 * cpu / cycles)


def machine() -> str:
    """The processor's model name where Linux tells it, else the architecture."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.machine()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--windows", nargs="+", default=["sample", "month"], help="sample, month (default both)")
    parser.add_argument("--data", type=Path, default=MONTH_DATA, help="the month's market data folder")
    parser.add_argument("--cycles", type=int, help="only the first N cycles of each window")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the (last) window here")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    configure_logging("warning")
    print(
        f"machine: {machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; load average {os.getloadavg()[0]:.1f}",
        file=sys.stderr,
    )
    results = [measure(w, args.profile) for w in windows(args.windows, args.data, args.cycles)]
    print(f"load average after: {os.getloadavg()[0]:.1f}", file=sys.stderr)
    if args.json:
        print(json.dumps([asdict(r) for r in results], indent=2))
        return 0
    print(f"{'window':<8} {'cycles':>7} {'fills':>6} {'wall s':>8} {'CPU s':>8} {'cycles/s':>9} {'CPU ms/cycle':>13}")
    for r in results:
        print(
            f"{r.window:<8} {r.cycles:>7} {r.fills:>6} {r.wall_s:>8.1f} {r.cpu_s:>8.1f} {r.cycles_per_s:>9.0f} "
            f"{r.ms_per_cycle_cpu:>13.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
