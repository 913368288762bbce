"""`hedgebot run`: the hedging loop against a configured venue, with signals, kill switch and exit codes."""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime
from functools import partial
from pathlib import Path

from bot.alerts.factory import alert_settings
from bot.alerts.notifier import alert_notifier
from bot.cli.approve import TerminalApprover
from bot.cli.banner import NO_PROTECTION_NEEDED, banner_for, render
from bot.cli.live import CONFIRM_VARIABLE, confirm_live
from bot.cli.output import err, out
from bot.cli.venue import Desk, journal_for, open_desks, pick_venue
from bot.clock import Clock, SystemClock
from bot.config import AppConfig
from bot.core.cycle import plan_cycle
from bot.execution.approval import Approval, Approver, AutoApprover, Review
from bot.execution.cycle import CyclePipeline
from bot.execution.desks import exit_code, supervise_desks
from bot.execution.ids import run_id_for
from bot.execution.interrupts import Interrupts
from bot.execution.loop import run_cycles
from bot.execution.portfolio import Portfolio
from bot.execution.run import PlanFunction, Run, RunOptions
from bot.execution.startup import start_run
from bot.execution.summary import CycleOutcome
from bot.execution.supervisor import Ending, RunEnd
from bot.journal import open_journal
from bot.logging import mark_dry_run
from bot.risk.kill_switch import check_kill_switch
from bot.settings.from_config import desks_for, trading_venues

# What a command runs between start-up and the end of the run, e.g. `hedgebot unwind`'s cycles until flat.
Body = Callable[[CyclePipeline], Awaitable[int]]
# What a command checks of the opened venues before any run starts (``UsageError``: exit 2).
Check = Callable[[Sequence[Desk]], Awaitable[None]]
LEFT_ON_THE_BOOK = "the venue cannot be read to cancel our resting orders: they are left on the book"

NO_ALERTS = "none sent by a dry run: its hedge is on paper (`hedgebot alert-test` tries the destinations)"

HELP = "run the hedging loop: keep the short within its band (approving each order, or unattended)"
DESCRIPTION = """\
Every interval (execution.interval): read holdings, prices, positions and orders; decide the targets; plan
post-only limit orders; check each against the risk limits; ask for approval (approval.mode: "ask" at the
terminal, or "auto"); send; journal everything.

Approval (approval.mode = "ask"): each cycle with something to do shows its orders as one table (instrument, side,
contracts, price, notional, reduce-only, reason, and the prices its approval covers) and what they would do, per
instrument and in total: hedge ratio and net exposure now and after, margin, leverage and liquidation price after
(the worst case), funding per day, fees at maker (and taker). Answer a (approve all), o (one by one: y yes, e edit
its size, s skip, r reject the rest), r (reject all) or h (halt: nothing sent, resting orders cancelled, HALTED,
exit 3). No answer within approval.timeout means no. Whatever is approved or edited passes the risk limits again
before it is sent, on fresh data when the answer took longer than risk.max_data_age or a size was edited; a plan
answered later than approval.max_plan_age, or whose price moved more than approval.max_price_move_bps, is planned
and shown again, never sent as shown. An approved order is re-priced without asking again while its price stays
within the limit shown ("at or above 149.25" for a sell); beyond it, it is asked again. With no terminal, "ask"
refuses to start: use --approve auto.

Start-up fails closed: credentials, markets, one-way position mode, margin mode and leverage (read back, never
above 2x) are checked first; then the API key's permissions (unattended, a key that can withdraw or transfer
is refused, exit 4, unless [venues.NAME] allow_withdrawal_key = true; so is a live key whose permissions cannot
be read); every other venue in holdings.venues is read (only read: its coins join the plan, valued at this
venue's prices; one that later stops answering holds the hedges of its coins as they are); then the journal
is reconciled with the venue. If a position differs from what
the journal explains (e.g. trades made outside hedgebot), the bot refuses to trade unless you pass --adopt.
Before any order, the free margin must cover what the targets still need beyond the positions and the bot's
own resting orders (they hold their margin already); otherwise it refuses, saying how much to deposit.
Each cycle the leverage every open hedge position reports is compared with execution.leverage: one changed
outside hedgebot is set back (and read back) before any order, or the bot halts (exit code 3). A malformed
reply from the venue never halts it and never moves the hedge: what it touches is held that cycle, with the
reason in the journal (`hedgebot journal why ASSET`: bad_data), and a malformed wallet, positions or open-orders
reply skips the cycle ("skipped, nothing sent"). A hedged holding missing from the wallet reply keeps its
hedge until the wallet lists it again; after really selling or moving it, restart the bot.

Outages: while the venue cannot be read (down, in maintenance, rate-limiting, unreachable), a cycle sends
nothing and says so, and the next one tries again: trading resumes by itself once reads succeed. Resting
orders stay unless the outage lasts risk.max_outage; then they are cancelled (once the venue takes the
cancels) and a venue_unreachable alert is raised. The pause and the resumption are journaled. A venue that
cannot be read at start-up is refused (exit code 1, no halt; 4 if it refuses our clock): run the bot under a
supervisor that restarts it. A stop or halt while the venue cannot be read says that the resting orders are
left on the book.

Stopping: Ctrl-C or SIGTERM finishes the step in flight, cancels the bot's resting orders, keeps positions
and exits 0. The kill switch (the file named by risk.kill_switch_file, or SIGUSR1) halts at once: resting
orders are cancelled, positions kept, exit code 3, and later runs stay halted until started with --resume
(remove the kill-switch file first). Both take effect at once, even while an approval prompt waits (what it
had not answered is rejected, unsent) or between cycles. When --cycles/--once are done, resting orders are
left for the next run, which picks them up. Fills and funding are synced once more before any run ends.

Orders never outlive the bot: while it runs it writes a heartbeat to the journal every watchdog.window / 4 (run
`hedgebot watchdog` beside it to cancel its orders if the heartbeat stops) and keeps the venue's own dead-man's
switch armed where ordinary accounts have one (OKX, Binance; watchdog.exchange_switch); the line "protection: ..."
at start says which. Resting orders of ours older than execution.max_order_age are cancelled after each cycle and
at start-up (orders an earlier run left); younger ones are adopted.

Dry run (--dry-run, or [execution] dry_run = true), on any venue and mode: market data and the spot holdings are
read from the venue as usual, but no order, cancel, leverage or margin change is ever sent: the venue is reached
through its read half only, and the bot trades on a paper venue that fills post-only orders by the simulator's
rules against the venue's live book and trades (fills only when the market trades through the price, partly when
little trades; the venue's maker and taker fees; its funding rate at each settlement). The paper position, balance,
orders and fills have their own journal beside the configured one (<journal>.dry-run.sqlite, and the paper venue
in <journal>.dry-run.venue.json); `hedgebot status --dry-run` and `hedgebot journal --dry-run` read them, and the
next dry run resumes from them. The paper margin wallet starts with the venue's USDT. Every log line and the
banner say DRY-RUN.

Several venues: with hedges.ASSET.venue naming other venues, this one process trades each of them too, side by side,
each hedge on its own venue (a holding with no [hedges] entry on --venue's, the default venue): each venue has its
own banner, start-up checks, reconciliation, account limits, dead-man's switch and outage pauses, and the cycle
lines and the end of the run name it. A venue refused at start-up or unreadable later trades nothing while the
others go on (the exit code is the most urgent of theirs); a signal or the kill switch stops or halts them all.

Live: a venue in mode "live" trades real money, so run refuses it unless the command line says --live and you then
type the venue's name at the prompt; with no terminal (a service), set HEDGEBOT_CONFIRM_LIVE to the venue's name
(several live venues: each is asked in turn, or the variable lists them, comma-separated).
A dry run needs neither. The banner (stderr) says what is about to trade: mode, venue, exchange, account, hedge
instruments, leverage and margin mode, every risk limit, the approval mode and timeout, and the protection.

Alerts ([alerts] in the configuration; the line "alerts: ..." at start says where they go) reach a person when
the bot halts (and why) or resumes, a risk limit blocks an order, the venue rejects alerts.rejects_in_a_row
orders in a row on an instrument within alerts.rejects_window, reconciliation finds what the journal cannot
explain, the liquidation distance, margin ratio or funding cost a day passes its warning level, the venue's
dead-man's switch cannot be armed, or the venue stays unreadable for risk.max_outage (and when it answers
again); and a daily summary at alerts.daily_summary_time. Each condition alerts once until it clears. Delivery
runs in the background, retried; a cycle never waits for it. Check with `hedgebot alert-test`.

exit codes: 0 done or stopped; 1 failed, may pass by itself (the venue unreachable, an unexpected error; or
stopped while the venue could not be read to cancel our resting orders, which stay on the book); 2 bad
configuration; 3 halted; 4 refused until a person acts (the API key refused, able to withdraw or of unknown
permissions while unattended, an instrument not listed, too little margin, a position the journal cannot
explain). Under a supervisor, restart on 1 (a halt survives restarts), never on 2, 3 or 4 (README).

examples:
  hedgebot run --config my.toml --once               one cycle, then exit
  hedgebot run --config my.toml --approve auto       unattended, within the risk limits
  hedgebot run --config my.toml --adopt              take the venue's current positions as the baseline
  hedgebot run --config my.toml --dry-run            trade on paper against the venue's live market
  hedgebot run --config live.toml --live             real money: asks you to type the venue's name first
"""


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "run", help=HELP, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_venue_options(parser)
    count = parser.add_mutually_exclusive_group()
    count.add_argument("--once", action="store_true", help="run one cycle, then exit")
    count.add_argument("--cycles", type=_positive, metavar="N", help="run N cycles, then exit")
    parser.add_argument("--adopt", action="store_true", help="adopt positions the journal cannot explain")
    parser.add_argument(
        "--resume", action="store_true", help="lift a HALTED/REDUCING state left by a past run (journaled)"
    )
    parser.set_defaults(handler=run, needs_config=True)


def add_venue_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--venue",
        metavar="NAME",
        help="the default [venues.NAME]: it hedges the holdings no [hedges] entry routes (default: the only one)",
    )
    parser.add_argument(
        "--approve", choices=["ask", "auto"], help="override approval.mode: 'ask' at the terminal, or 'auto'"
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="trade on paper: read the venue's market and wallet as usual, send nothing ([execution] dry_run)",
    )
    parser.add_argument(
        "--live",
        action="store_true",
        help=f'needed to trade a venue in mode "live" (real money); then type its name, or set {CONFIRM_VARIABLE}',
    )


def trading_mode(args: argparse.Namespace, config: AppConfig, venue: str) -> bool:
    """Whether this run is a dry run (``--dry-run`` or ``[execution] dry_run``); refuses a trading venue in mode "live"
    that the command line and a person have not both confirmed (``bot.cli.live``), before anything is contacted."""
    dry_run = bool(args.dry_run or config.execution.dry_run)
    for name in trading_venues(config, venue):  # each venue a hedge trades on
        confirm_live(
            name,
            config.venues[name].mode,
            live=args.live,
            dry_run=dry_run,
            terminal=sys.stdin.isatty(),
            ask=_ask,
            environ=os.environ,
        )
    if dry_run:
        mark_dry_run()
    return dry_run


def make_approver(config: AppConfig, override: str | None) -> Approver:
    return AutoApprover() if unattended(config, override) else TerminalApprover(config.approval.timeout)


def unattended(config: AppConfig, override: str | None) -> bool:
    """Whether orders go out without a person approving them (approval.mode "auto", or --approve auto)."""
    return (override or config.approval.mode) == "auto"


def run(args: argparse.Namespace) -> int:
    config: AppConfig = args.config
    options = RunOptions(
        cycles=1 if args.once else args.cycles,
        adopt=args.adopt,
        resume=args.resume,
        command=command_line(args),
        unattended=unattended(config, args.approve),
    )
    venue = pick_venue(config, args.venue)
    dry_run = trading_mode(args, config, venue)
    approver = make_approver(config, args.approve)
    return asyncio.run(drive(config, venue, approver, options, dry_run=dry_run))


async def drive(
    config: AppConfig,
    venue: str,
    approver: Approver,
    options: RunOptions,
    *,
    planner: PlanFunction = plan_cycle,
    body: Body | None = None,
    check: Check | None = None,
    dry_run: bool = False,
) -> int:
    """Open every trading venue (``venue``, the default, and those a hedge names: ``desks_for``; a dry run: each
    one's read half and its paper venue) and the journal, print each venue's banner, start each venue's run (fail
    closed) and run ``body`` (default: the loop) on each, side by side, under the error policy
    (``bot.execution.desks``), then tell the operator how each ended; returns the exit code. ``check``: what the
    command checks of the opened venues first."""
    desks = desks_for(config, venue)
    alerting = alert_settings(config)
    if dry_run:
        alerting = replace(alerting, destinations=())
    clock = SystemClock()
    path = journal_for(config, dry_run)
    journal = open_journal(path, clock)
    started = clock.now()
    several = len(desks) > 1
    interrupts = Interrupts(config.risk.kill_switch_file)
    portfolio = Portfolio(desk.venue.name for desk in desks)  # what each desk's gate counts of the others
    turns = asyncio.Lock()  # a person answers one venue's table at a time
    try:
        async with (
            alert_notifier(alerting, conditions=journal) as notifier,  # open conditions outlive restarts
            open_desks(config, desks, clock, paper=path if dry_run else None) as opened,
        ):
            if check is not None:
                await check(opened)
            pipelines = []
            for desk in opened:
                name = desk.settings.venue.name
                run = Run(
                    desk.settings, desk.port, journal, clock, run_id=run_id_for(started, name), planner=planner,
                    alerts=notifier, alert_settings=alerting, wallets=desk.wallets, interrupts=interrupts,
                    portfolio=portfolio,
                )  # fmt: skip
                pipeline = CyclePipeline(run, OneAtATime(approver, name, turns) if several else approver)
                tag = ("DRY-RUN " if dry_run else "") + (f"{name}: " if several else "")
                pipeline.on_cycle = partial(_print_cycle, tag, clock)
                pipelines.append(pipeline)
                protection = NO_PROTECTION_NEEDED if dry_run else run.deadman.describe().removeprefix("protection: ")
                banner = banner_for(
                    config, desk.settings, _command_name(options.command), dry_run=dry_run, approval=approver.name,
                    protection=protection, journal=path, default_venue=venue if several else None,
                )  # fmt: skip
                for line in render(banner):
                    err.print(line, markup=False)
            _install_signals(interrupts)

            async def work(pipeline: CyclePipeline) -> int:
                run = pipeline.run
                tag = "DRY-RUN " if dry_run else ""
                report = await start_run(run, options)
                out.print(
                    f"{tag}hedgebot run {run.run_id} on {run.venue} ({run.settings.venue.mode.value}): reconciled "
                    f"({report.new_fills} fills, {report.new_funding} funding payments recorded; "
                    f"{len(report.adopted_orders)} orders adopted)",
                    markup=False,
                )
                # A dry run's orders rest on paper: no heartbeat for a watchdog, no switch at the venue to arm; and
                # no alert, which would read as if about real positions.
                protection = f"protection: {NO_PROTECTION_NEEDED}" if dry_run else await run.protect()
                out.print(f"{tag}{f'{run.venue}: ' if several else ''}{protection}", markup=False)
                out.print(f"{tag}alerts: {NO_ALERTS}" if dry_run else run.alerts.describe(), markup=False)
                return await (body(pipeline) if body else run_cycles(pipeline, options))

            ends = await supervise_desks(pipelines, work)
    finally:
        journal.close()
    for pipeline, end in zip(pipelines, ends, strict=True):
        prefix = f"{pipeline.run.venue}: " if several else ""
        _tell(end, resume_hint(options.command, interrupts.kill_switch), prefix)
    return exit_code(ends)


class OneAtATime:
    """The approver of one venue's desk when several trade: one table at a time, headed by its venue."""

    def __init__(self, inner: Approver, venue: str, turns: asyncio.Lock) -> None:
        self.name = inner.name
        self._inner, self._venue, self._turns = inner, venue, turns

    async def review(self, review: Review) -> list[Approval]:
        if not review.intents:
            return await self._inner.review(review)
        async with self._turns:
            if self.name != AutoApprover.name:
                err.print(f"venue {self._venue}:", markup=False)
            return await self._inner.review(review)


def _print_cycle(tag: str, clock: Clock, outcome: CycleOutcome) -> None:
    out.print(tag + cycle_line(outcome, clock.now()), markup=False)


def _tell(end: RunEnd, hint: str, prefix: str = "") -> None:
    """How the run ended, in words, for the operator (``prefix``: the venue's name, when several trade)."""
    left = f"{LEFT_ON_THE_BOOK} ({end.orders_left})" if end.orders_left else ""
    if end.ending is Ending.STOPPED and left:
        err.print(f"{prefix}stopped, but {left}; positions kept", markup=False)
    elif end.ending is Ending.STOPPED:
        out.print(f"{prefix}stopped: {end.cancelled} resting order(s) cancelled; positions kept", markup=False)
    elif end.ending is Ending.HALTED:
        orders = left.capitalize() if left else "Resting orders cancelled"
        err.print(f"{prefix}HALTED: {end.detail}. {orders}, positions kept. {hint}", markup=False)
    elif end.ending is Ending.REFUSED:
        err.print(f"{prefix}hedgebot: refusing to trade: {end.detail}", markup=False)
    elif end.ending is Ending.CRASHED:
        orders = left or "resting orders cancelled"
        err.print(f"{prefix}hedgebot: {end.detail}. HALTED: {orders}, positions kept.", markup=False)


def cycle_line(outcome: CycleOutcome, now: datetime) -> str:
    """One human line per cycle: each instrument's position against its target, and what was done."""
    parts = []
    for line in outcome.instruments:
        resting = f" ({line.in_flight} resting)" if line.in_flight else ""
        target = "-" if line.target is None else line.target
        parts.append(f"{line.symbol} {line.current}/{target}{resting} {line.reason}")
    actions = f"{outcome.placed} placed"
    if outcome.denied:
        actions += f", {outcome.denied} denied"
    if outcome.rejected:
        actions += f", {outcome.rejected} rejected"
    if outcome.unknown:
        actions += f", {outcome.unknown} outcome unknown"
    if outcome.skipped:
        actions += f", {outcome.skipped} not sent"
    if outcome.cancels:
        actions += f", {outcome.cancels} cancelled"
    body = " | ".join(parts) if parts else "nothing to hedge"
    if outcome.skipped_because:
        body = f"skipped, nothing sent: {outcome.skipped_because}"
    if outcome.replanned_because:
        body = f"nothing sent, planning again: {outcome.replanned_because}"
    return f"{now:%H:%M:%S} #{outcome.number} {outcome.state.value}: {body} [{actions}]"


def _command_name(command: str) -> str:
    """``run`` of "hedgebot run --once"."""
    words = shlex.split(command)
    return words[1] if len(words) > 1 else "run"


def _ask(prompt: str) -> str:
    err.print(prompt, end="", markup=False)
    return sys.stdin.readline()


def command_line(args: argparse.Namespace) -> str:
    """The command as the operator typed it (``args.argv``, set by the CLI), to quote back in messages."""
    return shlex.join(["hedgebot", *getattr(args, "argv", [args.command])])


def resume_hint(command: str, kill_switch: Path) -> str:
    """The exact command that lifts a halt, after removing the kill-switch file if it is still there."""
    again = command if "--resume" in shlex.split(command) else f"{command} --resume"
    if check_kill_switch(kill_switch) is not None:
        return f"To lift the halt, remove the kill-switch file {kill_switch}, then run: {again}"
    return f"To lift the halt, run: {again}"


def _install_signals(interrupts: Interrupts) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, interrupts.request_stop)
    loop.add_signal_handler(signal.SIGUSR1, interrupts.request_halt)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value
