"""`hedgebot unwind`: buy the hedge back to flat with reduce-only, post-only orders (all or chosen instruments)."""

from __future__ import annotations

import argparse
import asyncio
from functools import partial

from bot.cli.output import err, out
from bot.cli.run import EXIT_FAILED, EXIT_OK, add_venue_options, drive, make_approver
from bot.cli.venue import pick_venue
from bot.config import AppConfig
from bot.core.unwind import plan_unwind
from bot.execution.loop import HedgeLoop, LoopOptions

HELP = "buy back the hedge with reduce-only post-only orders until flat (all or one instrument)"
DESCRIPTION = """\
Close the short on every hedge instrument (or only --symbol ones) with reduce-only buys, post-only at the best
bid and re-priced as the book moves, each approved as approval.mode says (or --approve) and checked by the risk
gate, until the position is flat or --max-cycles have run. Positions below the market's minimum order size
cannot be closed by any order and are reported as dust. Spot holdings are never touched.

exit codes: 0 flat, 1 not flat after --max-cycles (resting orders cancelled), 2 bad configuration, 3 halted.

examples:
  hedgebot unwind --config my.toml                       everything, asking before each order
  hedgebot unwind --config my.toml --symbol SOL/USDT:USDT --approve auto
"""


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "unwind", help=HELP, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_venue_options(parser)
    parser.add_argument("--symbol", action="append", metavar="SYMBOL", help="only this perpetual (repeatable)")
    parser.add_argument("--max-cycles", type=int, default=60, metavar="N", help="give up after N cycles (60)")
    parser.add_argument("--adopt", action="store_true", help="adopt positions the journal cannot explain first")
    parser.set_defaults(handler=run, needs_config=True)


def run(args: argparse.Namespace) -> int:
    config: AppConfig = args.config
    venue = pick_venue(config, args.venue)
    approver = make_approver(config, args.approve)
    planner = partial(plan_unwind, symbols=args.symbol)
    body = partial(_until_flat, max_cycles=args.max_cycles, interval=config.execution.interval.total_seconds())
    return asyncio.run(drive(config, venue, approver, LoopOptions(adopt=args.adopt), planner=planner, body=body))


async def _until_flat(loop: HedgeLoop, *, max_cycles: int, interval: float) -> int:
    stop = loop.interrupts.stop
    for _ in range(max_cycles):
        outcome = await loop.run_cycle()
        open_lines = [line for line in outcome.instruments if line["current"] != 0 or line["in_flight"] != 0]
        dust = [line for line in open_lines if line["reason"] == "dust" and line["in_flight"] == 0]
        if len(open_lines) == len(dust):
            for line in dust:
                out.print(f"{line['symbol']}: {line['current']} contracts left: below the minimum order size")
            out.print("unwind complete: flat", markup=False)
            return EXIT_OK
        if stop.is_set():
            break
        await loop.pause(interval)
        if stop.is_set():
            break
    await loop.cancel_our_orders("unwind gave up")
    err.print(f"unwind: not flat after {max_cycles} cycles; resting orders cancelled, positions kept", markup=False)
    return EXIT_FAILED
