"""`hedgebot status`: where the hedge stands, both legs' PnL, risk and protection (read-only; --watch refreshes)."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path

from bot.cli.output import err, out
from bot.cli.status_output import print_status, print_status_json
from bot.cli.venue import journal_for, open_desks, pick_venue, read_once
from bot.clock import Clock, SystemClock
from bot.config import AppConfig
from bot.core.cycle import CoreState, plan_cycle
from bot.domain import MarketType
from bot.errors import HedgebotError
from bot.exchange.port import ExchangePort, VenueReader
from bot.execution.status import StatusView, status_view
from bot.journal import JournalReader, open_reader
from bot.settings import Settings
from bot.settings.from_config import desks_for

HELP = "where the hedge stands: both legs' PnL, funding, fees, basis, liquidation, orders, protection"
DESCRIPTION = """\
Read the venue and the journal and show, per holding and in total: the spot value, the hedge's notional, the
hedge ratio achieved against the target, and the profit or loss of each leg since the hedge opened and today
(UTC): the spot leg, the hedge leg (realised and unrealised, at the mark price), funding (+ received, - paid),
fees, and the combined result. Then per hedge instrument: the position, entry, mark, liquidation price and
distance, margin ratio, leverage and basis; the bot's resting orders; the last reason journaled per holding; the
trading state (ACTIVE, REDUCING, HALTED); and the dead-man's switch (the running bot's last heartbeat, and the
venue's own switch). Every other open position on the account's perpetuals (someone else's, or left over from
an earlier configuration) is listed apart as not the bot's hedge: never touched, and in none of the figures.
Nothing is changed or sent.

What the figures mean:
  a hedge opens at the bot's first fill on its instrument in the journal (an --adopt'ed position starts again
  from its mark at adoption); spot PnL = the holding's quantity now x (price now - its price then), the price the
  bot valued it at in its last cycle before the opening; hedge PnL = position now x mark now - position then x
  mark then - what each fill since cost; combined = spot + hedge + funding - fees; "today" starts at 00:00 UTC.
  A proxy several holdings share is split by their shares of its target. Basis: the perpetual's mark against the
  spot price, in bps. Margin ratio (isolated margin): maintenance margin / (position margin + unrealised PnL).
  In the total, the basis is weighted by hedge notional and the liquidation distance is the nearest one.
  "unknown" means the journal lacks a price the figure needs (e.g. no cycle before 00:00 UTC).

--json prints, per holding and in total, spot_pnl, hedge_pnl, funding, fees, combined_pnl (since the hedge
opened; the same under "today"), basis_bps, liquidation_distance and more; other_positions lists the positions
outside the hedge. --watch N shows it again every N seconds until Ctrl-C (with --json: one JSON document
per line).

With hedges on several venues (hedges.ASSET.venue), each venue's hedge is shown in turn, and --json prints
{"venues": [...]}, one document as above per venue.

--dry-run shows the dry run's paper hedge instead (`hedgebot run --dry-run`): its paper positions, orders and
journal as last saved, valued at the venue's prices now. It has no dead-man's switch to show: a dry run's orders
rest on paper, never at the venue.

examples:
  hedgebot status --config my.toml
  hedgebot status --config my.toml --dry-run
  hedgebot status --config my.toml --json
  hedgebot status --config my.toml --watch 10
"""


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "status", help=HELP, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--venue", metavar="NAME", help="the default [venues.NAME], as given to `hedgebot run` (default: the only one)"
    )
    parser.add_argument("--json", action="store_true", help="print the status as JSON")
    parser.add_argument(
        "--watch", type=_seconds, metavar="N", help="show the status again every N seconds, until Ctrl-C"
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="the dry run's paper hedge and journal (as last saved), valued at the venue's prices now",
    )
    parser.set_defaults(handler=run, needs_config=True)


def run(args: argparse.Namespace) -> int:
    config: AppConfig = args.config
    venue = pick_venue(config, args.venue)
    try:
        desks = desks_for(config, venue)
        return asyncio.run(_status(config, desks, args.json, args.watch, SystemClock(), dry_run=args.dry_run))
    except KeyboardInterrupt:
        if args.watch is None:
            raise
        return 0  # Ctrl-C is how a watch ends


async def _status(
    config: AppConfig,
    desks: Sequence[Settings],
    as_json: bool,
    watch: float | None,
    clock: Clock,
    *,
    dry_run: bool = False,
) -> int:
    path = journal_for(config, dry_run)
    async with open_desks(config, desks, clock, paper=path if dry_run else None, looking=True) as opened:
        while True:
            try:
                views = [await read_status(d.settings, path, d.port, clock, d.wallets) for d in opened]
            except HedgebotError as exc:
                if watch is None:
                    raise
                err.print(f"hedgebot status: {exc} (trying again in {watch:g}s)", markup=False)
            else:
                modes = [d.settings.venue.mode.value + (" DRY-RUN" if dry_run else "") for d in opened]
                if as_json:
                    print_status_json(views, modes, one_line=watch is not None)
                else:
                    if watch is not None and out.is_terminal:
                        out.clear()
                    for view, mode in zip(views, modes, strict=True):
                        print_status(view, mode, dry_run=dry_run)
            if watch is None:
                return 0
            await asyncio.sleep(watch)


async def read_status(
    settings: Settings, path: Path, port: ExchangePort, clock: Clock, others: Mapping[str, VenueReader] | None = None
) -> StatusView:
    """One status: the venue (and ``others``, the other venues' wallets that count) read now, this moment's plan,
    and the journal at ``path``'s history (if there is a journal)."""
    reader = _open_reader(path)
    try:
        saved = reader.latest_policy_state(venue=settings.venue.name) if reader is not None else None
        state = CoreState.from_dict(saved) if saved else CoreState()
        snapshot, markets = await read_once(settings, port, clock, state.planner.managed, others)
        plan, _ = plan_cycle(settings.core, snapshot, state, clock.now())
        account = await port.fetch_positions(s for s, market in markets.items() if market.type is MarketType.PERP)
        margin_mode = settings.execution.margin_mode
        return status_view(settings.venue.name, snapshot, plan, reader, margin_mode, account=account)
    finally:
        if reader is not None:
            reader.close()


def _open_reader(path: Path) -> JournalReader | None:
    """The journal at ``path``, read-only, or None before the bot's first run has made one."""
    return open_reader(path) if path.exists() else None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0.5 <= value <= 86_400:
        raise argparse.ArgumentTypeError("must be between 0.5 and 86400 seconds")
    return value
