"""`hedgebot run`: the hedging loop against a configured venue, with signals, kill switch and exit codes."""

from __future__ import annotations

import argparse
import asyncio
import shlex
import signal
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

from bot.cli.approve import TerminalApprover
from bot.cli.output import err, out
from bot.cli.venue import connect, pick_venue
from bot.clock import SystemClock
from bot.config import AppConfig
from bot.core.cycle import plan_cycle
from bot.execution.approval import Approver, AutoApprover
from bot.execution.cycle import CyclePipeline
from bot.execution.ids import run_id_for
from bot.execution.interrupts import Interrupts
from bot.execution.loop import run_cycles
from bot.execution.run import PlanFunction, Run, RunOptions
from bot.execution.startup import start_run
from bot.execution.summary import CycleOutcome
from bot.execution.supervisor import Ending, RunEnd, supervise
from bot.journal import open_journal
from bot.risk.kill_switch import check_kill_switch
from bot.settings.from_config import journal_path, settings_for

# What a command runs between start-up and the end of the run, e.g. `hedgebot unwind`'s cycles until flat.
Body = Callable[[CyclePipeline], Awaitable[int]]
LEFT_ON_THE_BOOK = "the venue cannot be read to cancel our resting orders: they are left on the book"

HELP = "run the hedging loop: keep the short within its band (approving each order, or unattended)"
DESCRIPTION = """\
Every interval (execution.interval): read holdings, prices, positions and orders; decide the targets; plan
post-only limit orders; check each against the risk limits; ask for approval (approval.mode: "ask" at the
terminal, or "auto"); send; journal everything.

Start-up fails closed: credentials, markets, one-way position mode, margin mode and leverage (read back, never
above 2x) are checked first, then the journal is reconciled with the venue. If a position differs from what
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
cannot be read at start-up is refused like a failed preflight (exit code 1, no halt): run the bot under a
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

exit codes: 0 done or stopped, 1 failed (preflight, reconciliation, venue; or stopped while the venue could not
be read to cancel our resting orders, which stay on the book), 2 bad configuration, 3 halted.
Under a supervisor, restart on 1 (a halt survives restarts), never on 2 or 3: a person must look (README).

examples:
  hedgebot run --config my.toml --once               one cycle, then exit
  hedgebot run --config my.toml --approve auto       unattended, within the risk limits
  hedgebot run --config my.toml --adopt              take the venue's current positions as the baseline
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
    parser.add_argument("--venue", metavar="NAME", help="the [venues.NAME] to use (default: the only one)")
    parser.add_argument(
        "--approve", choices=["ask", "auto"], help="override approval.mode: 'ask' at the terminal, or 'auto'"
    )


def make_approver(config: AppConfig, override: str | None) -> Approver:
    mode = override or config.approval.mode
    return AutoApprover() if mode == "auto" else TerminalApprover(config.approval.timeout)


def run(args: argparse.Namespace) -> int:
    config: AppConfig = args.config
    options = RunOptions(
        cycles=1 if args.once else args.cycles, adopt=args.adopt, resume=args.resume, command=command_line(args)
    )
    venue = pick_venue(config, args.venue)
    approver = make_approver(config, args.approve)
    return asyncio.run(drive(config, venue, approver, options))


async def drive(
    config: AppConfig,
    venue: str,
    approver: Approver,
    options: RunOptions,
    *,
    planner: PlanFunction = plan_cycle,
    body: Body | None = None,
) -> int:
    """Open the venue and the journal, start the run (fail closed) and run ``body`` (default: the loop) under the
    error policy (``bot.execution.supervisor``), then tell the operator how it ended; returns the exit code."""
    settings = settings_for(config, venue)
    clock = SystemClock()
    journal = open_journal(journal_path(config), clock)
    run_id = run_id_for(clock.now(), venue)
    try:
        async with connect(settings, config.credentials(venue), clock) as port:
            run = Run(settings, port, journal, clock, run_id=run_id, planner=planner)
            pipeline = CyclePipeline(run, approver)
            pipeline.on_cycle = lambda outcome: out.print(cycle_line(outcome, clock.now()), markup=False)
            _install_signals(run.interrupts)

            async def work() -> int:
                report = await start_run(run, options)
                out.print(
                    f"hedgebot run {run_id} on {venue} ({settings.venue.mode.value}): reconciled "
                    f"({report.new_fills} fills, {report.new_funding} funding payments recorded; "
                    f"{len(report.adopted_orders)} orders adopted)",
                    markup=False,
                )
                out.print(await run.protect(), markup=False)
                return await (body(pipeline) if body else run_cycles(pipeline, options))

            end = await supervise(run, work)
    finally:
        journal.close()
    _tell(end, resume_hint(options.command, run.kill_switch))
    return end.code


def _tell(end: RunEnd, hint: str) -> None:
    """How the run ended, in words, for the operator."""
    left = f"{LEFT_ON_THE_BOOK} ({end.orders_left})" if end.orders_left else ""
    if end.ending is Ending.STOPPED and left:
        err.print(f"stopped, but {left}; positions kept", markup=False)
    elif end.ending is Ending.STOPPED:
        out.print(f"stopped: {end.cancelled} resting order(s) cancelled; positions kept", markup=False)
    elif end.ending is Ending.HALTED:
        orders = left.capitalize() if left else "Resting orders cancelled"
        err.print(f"HALTED: {end.detail}. {orders}, positions kept. {hint}", markup=False)
    elif end.ending is Ending.REFUSED:
        err.print(f"hedgebot: refusing to trade: {end.detail}", markup=False)
    elif end.ending is Ending.CRASHED:
        orders = left or "resting orders cancelled"
        err.print(f"hedgebot: {end.detail}. HALTED: {orders}, positions kept.", markup=False)


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
    return f"{now:%H:%M:%S} #{outcome.number} {outcome.state.value}: {body} [{actions}]"


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
