"""`python -m tests.chaos` (what `scripts/chaos` runs): a seeded chaos run, its summary line, non-zero on a violation."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import structlog

from tests.chaos.run import SOAK_SAMPLE, Options, run
from tests.chaos.schedule import Kind
from tests.chaos.world import PROFILES

DESCRIPTION = """\
The real bot (`hedgebot run --approve auto`, its own process) unattended against the simulator, which replays real
market data with a crash in it at --speed, under a seeded schedule of every fault the simulator can inject (latency,
hangs, HTTP 5xx, maintenance, 10006 and 403 rate limits, lost responses, clock skew, a network cut, stale data, price
gaps, someone else trading on the account) and SIGKILLs of the bot with restarts. Invariants are checked every few
seconds; one summary line at the end. Exit code 1 if any invariant broke.

--soak runs without kills, with as many faults a minute as the release check at its speed, and measures the bot's
memory and open files and the journal's growth per simulated day.
Logs, the journal and summary.json go to --out.

examples:
  scripts/chaos --seed 1 --hours 24                  the release check (about 25 minutes)
  scripts/chaos --seed 7 --hours 2 --speed 120       a quick one
  scripts/chaos --soak --hours 168 --speed 600       a simulated week on June 2022 (about 20 minutes)
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/chaos", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    default = Options()
    parser.add_argument("--seed", type=int, default=default.seed, help=f"the schedule's seed ({default.seed})")
    parser.add_argument("--hours", type=float, default=default.hours, help=f"simulated hours ({default.hours:g})")
    parser.add_argument(
        "--speed", type=float, default=default.speed, help=f"historical seconds per second ({default.speed:g})"
    )
    parser.add_argument("--out", type=Path, default=default.out, help=f"logs, journal, summary.json ({default.out})")
    parser.add_argument(
        "--sample", choices=sorted(PROFILES), help=f"market data ({default.sample}; {SOAK_SAMPLE} with --soak)"
    )
    parser.add_argument(
        "--kinds", help=f"only these faults, comma-separated, of: {', '.join(k.value for k in Kind)} (default: all)"
    )
    parser.add_argument(
        "--bound", type=float, default=default.bound, help=f"seconds to be back in band once calm ({default.bound:g})"
    )
    parser.add_argument("--soak", action="store_true", help="no kills; measure memory, open files, journal growth")
    args = parser.parse_args(argv)
    kinds = frozenset(Kind(k.strip()) for k in args.kinds.split(",")) if args.kinds else default.kinds
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(30))  # the simulator's warnings only
    options = Options(
        out=args.out, seed=args.seed, hours=args.hours, speed=args.speed, kinds=kinds, bound=args.bound,
        soak=args.soak, sample=args.sample or (SOAK_SAMPLE if args.soak else default.sample),
        intensity=default.speed / args.speed if args.soak else default.intensity,  # the soak: as many a minute
    )  # fmt: skip
    summary = asyncio.run(run(options))
    for violation in summary.violations:
        print(f"VIOLATION {violation}", file=sys.stderr)
    print(summary.line())
    if summary.resources is not None:
        print(f"resources: {summary.resources.as_json()}")
        print(f"journal rows per simulated day: {summary.journal_rows}")
    return 0 if summary.ok else 1


if __name__ == "__main__":
    sys.exit(main())
