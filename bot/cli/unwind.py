"""`hedgebot unwind`: buy the hedge back to flat with reduce-only, post-only orders (all or chosen instruments)."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from decimal import Decimal
from functools import partial

from bot.cli.output import err, out
from bot.cli.run import add_venue_options, command_line, drive, make_approver, trading_mode, unattended
from bot.cli.venue import Desk, pick_venue
from bot.config import AppConfig
from bot.core.unwind import plan_unwind
from bot.domain import Market, MarketType, ReasonCode, TradingState
from bot.errors import HaltRequested, HedgebotError, UsageError
from bot.exchange.preflight import closest_listed
from bot.execution.cycle import CyclePipeline
from bot.execution.reading import QUOTE
from bot.execution.run import Run, RunOptions
from bot.execution.summary import CycleOutcome
from bot.execution.supervisor import EXIT_FAILED, EXIT_OK

HELP = "buy back the hedge with reduce-only post-only orders until flat (all or one instrument)"
DESCRIPTION = """\
Close the short on every hedge instrument (or only --symbol ones) with reduce-only buys, post-only at the best
bid and re-priced as the book moves, each approved as approval.mode says (or --approve) and checked by the risk
gate, until the venue shows no position or --max-cycles have run. "flat" is said only once the venue's positions
have been read back at zero: without --symbol, on every perpetual it lists (a position on one the bot does not hedge
is named, never touched, and the unwind exits 1). Reduce-only buys are exempt from the venue's minimum notional, so a short worth little
is still bought back; a position below the market's minimum order quantity cannot be closed by any order: it is
reported as dust (close it on the venue), exit code 1. Spot holdings are never touched.

Trading states: REDUCING allows an unwind. HALTED (the kill switch, a failed reconciliation or an unexpected
error, in this run or an earlier one) refuses it with exit code 3, naming the cause: an unwind does not lift a
halt on its own. --resume lifts it first, journaled as the operator's resume exactly as `hedgebot run --resume`
does (remove the kill-switch file first); trading stays resumed afterwards.

With hedges on several venues (hedges.ASSET.venue), every venue is unwound, side by side, each its own hedge
(--symbol: the ones it lists); the exit code is the most urgent of theirs.

--dry-run unwinds the dry run's paper hedge (`hedgebot run --dry-run`) the same way, sending nothing to the venue.
A venue in mode "live" needs --live and a confirmation, as `hedgebot run --help` says.

Alerts go out as during `hedgebot run` ([alerts]; the start line "alerts: ..." says where): a halt, a blocked
limit, repeated rejections, the liquidation distance, margin or funding warnings.

exit codes: 0 flat (read back from the venue), 1 a position is left (not flat after --max-cycles, stopped, only
dust left, or a position outside the hedge; resting orders cancelled; or the venue unreachable), 2 bad
configuration, or a --symbol that is no perpetual any venue lists (nothing is sent), 3 halted, 4 refused until a person acts (as for `hedgebot run`).

examples:
  hedgebot unwind --config my.toml                       everything, asking before each order
  hedgebot unwind --config my.toml --symbol SOL/USDT:USDT --approve auto
  hedgebot unwind --config my.toml --resume              after a halt (kill-switch file removed): lift it, unwind
  hedgebot unwind --config my.toml --dry-run             unwind the paper hedge of a dry run
"""


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "unwind", help=HELP, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_venue_options(parser)
    parser.add_argument("--symbol", action="append", metavar="SYMBOL", help="only this perpetual (repeatable)")
    parser.add_argument("--max-cycles", type=int, default=60, metavar="N", help="give up after N cycles (60)")
    parser.add_argument("--adopt", action="store_true", help="adopt positions the journal cannot explain first")
    parser.add_argument(
        "--resume", action="store_true", help="lift a HALTED/REDUCING state left by a past run first (journaled)"
    )
    parser.set_defaults(handler=run, needs_config=True)


def run(args: argparse.Namespace) -> int:
    config: AppConfig = args.config
    venue = pick_venue(config, args.venue)
    dry_run = trading_mode(args, config, venue)
    approver = make_approver(config, args.approve)
    planner = partial(plan_unwind, symbols=args.symbol)
    body = partial(
        _until_flat,
        symbols=args.symbol,
        max_cycles=args.max_cycles,
        interval=config.execution.interval.total_seconds(),
    )
    options = RunOptions(
        adopt=args.adopt, resume=args.resume, command=command_line(args), unattended=unattended(config, args.approve)
    )
    check = partial(_listed_somewhere, args.symbol) if args.symbol else None
    return asyncio.run(
        drive(config, venue, approver, options, planner=planner, body=body, check=check, dry_run=dry_run)
    )


async def _listed_somewhere(symbols: list[str], desks: Sequence[Desk]) -> None:
    """Every --symbol must be a perpetual that some venue unwound lists: a mistyped one is a usage error (exit 2),
    before anything is sent. A venue whose markets cannot be read leaves the question to each venue's start-up."""
    listed: dict[str, Market] = {}
    for desk in desks:
        try:
            listed.update(await desk.port.load_markets())
        except HedgebotError:
            return
    perps = {s: m for s, m in listed.items() if m.type is MarketType.PERP}
    venues = ", ".join(desk.settings.venue.name for desk in desks)
    problems = [
        ("--symbol", f"{symbol} is not a perpetual that {venues} lists{closest_listed(symbol, perps, QUOTE)}")
        for symbol in symbols
        if symbol not in perps
    ]
    if problems:
        raise UsageError(problems)


async def _until_flat(pipeline: CyclePipeline, *, symbols: list[str] | None, max_cycles: int, interval: float) -> int:
    run = pipeline.run
    stop = run.interrupts.stop
    if symbols is not None and run.settings.core.holdings.shared:
        # hedges on several venues: each venue's desk unwinds the --symbol perpetuals it lists
        symbols = [s for s in symbols if s in run.markets]
        if not symbols:
            out.print(f"{run.venue}: lists none of the --symbol perpetuals: nothing to unwind there", markup=False)
            return EXIT_OK
    for _ in range(max_cycles):
        outcome = await pipeline.run_cycle()
        if outcome.state is TradingState.HALTED:
            state = run.risk_state
            raise HaltRequested(
                f"the trading state is HALTED (set by {state.cause}: {state.detail}); an unwind does not lift a halt, "
                "nothing was sent"
            )
        if _nothing_left_to_send(outcome):
            left, elsewhere = await _positions_left(run, symbols)  # the venue's word, not the plan's, before "flat"
            dust = {line.symbol for line in outcome.instruments if line.reason is ReasonCode.DUST}
            if not left or set(left) <= dust:
                return _finished(left, elsewhere)
        if stop.is_set():
            break
        await run.pause(interval)
        if stop.is_set():
            break
    await run.cancel_our_orders("unwind gave up")
    left, elsewhere = await _positions_left(run, symbols)
    if not left:
        return _finished(left, elsewhere)
    why = "stopped" if stop.is_set() else f"after {max_cycles} cycles"
    err.print(f"unwind: not flat ({why}): {_listed(left)}; resting orders cancelled, positions kept", markup=False)
    return EXIT_FAILED


async def _positions_left(run: Run, symbols: list[str] | None) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """The venue's positions now: on the instruments unwound (``symbols``, else the hedge instruments) and, when
    unwinding them all, on every other perpetual it lists (a short there is no hedge this bot knows of)."""
    if symbols is not None:
        return await run.positions(symbols), {}
    every = await run.positions(s for s, market in run.markets.items() if market.type is MarketType.PERP)
    hedges = set(run.hedge_symbols())
    return (
        {s: c for s, c in every.items() if s in hedges},
        {s: c for s, c in every.items() if s not in hedges},
    )


def _nothing_left_to_send(outcome: CycleOutcome) -> bool:
    """No order resting and none the planner could send: every position is zero or dust (a skipped cycle, which
    could not read the venue or its data, says nothing)."""
    return outcome.skipped_because is None and all(
        line.in_flight == 0 and (line.current == 0 or line.reason is ReasonCode.DUST) for line in outcome.instruments
    )


def _finished(left: dict[str, Decimal], elsewhere: dict[str, Decimal]) -> int:
    """Exit 0 if the venue shows no position, else 1 naming the dust left and the positions outside the hedge."""
    if not left and not elsewhere:
        out.print("unwind complete: flat (the venue shows no position)", markup=False)
        return EXIT_OK
    for symbol, contracts in left.items():
        out.print(f"{symbol}: {contracts} contracts left: below the minimum order size", markup=False)
    for symbol, contracts in elsewhere.items():
        out.print(
            f"{symbol}: {contracts} contracts on an instrument this bot does not hedge: not touched", markup=False
        )
    if left:
        err.print(
            f"unwind: not flat: {_listed(left)} left, which no order can close; close it on the venue", markup=False
        )
    if elsewhere:
        err.print(
            f"unwind: not flat: the venue holds {_listed(elsewhere)} outside the hedge (no [hedges] entry, holding or "
            "journal names it); close it on the venue, or name it with --symbol",
            markup=False,
        )
    return EXIT_FAILED


def _listed(positions: dict[str, Decimal]) -> str:
    return ", ".join(f"{symbol} {contracts} contracts" for symbol, contracts in positions.items())
