"""`hedgebot watchdog`: beside the bot, cancel its resting orders when its heartbeat stops (runs until stopped)."""

from __future__ import annotations

import argparse
import asyncio
import signal
from contextlib import AsyncExitStack
from datetime import timedelta

from bot.alerts.factory import alert_settings
from bot.alerts.notifier import alert_notifier
from bot.cli.output import out
from bot.cli.venue import connect, pick_venue
from bot.clock import SystemClock
from bot.config import MIN_WATCHDOG_WINDOW, AppConfig
from bot.durations import DURATION_FORMS, parse_duration
from bot.execution.reading import configured_instruments
from bot.execution.watchdog import Watchdog
from bot.settings.from_config import desks_for, journal_path

HELP = "beside `hedgebot run`: cancel the bot's resting orders when its heartbeat stops"
DESCRIPTION = """\
A small process to start beside `hedgebot run` (the same configuration): it reads the bot's heartbeat from the
journal (the running bot writes one every watchdog.window / 4) and, when none has come for longer than
watchdog.window, cancels every resting order of the bot (client order ids starting "hb") on the bot's
instruments. Foreign orders and positions are never touched: the hedge stays, unmanaged, until the bot is back.
The cancellation is logged, journaled (when the journal knows the order) and alerted through [alerts]; while the
silence lasts the venue is swept again every window, and when the heartbeat comes back the watchdog says so.

It is the protection on Bybit, which offers ordinary accounts no exchange-side dead-man's switch, and a second
line on OKX and Binance, where `hedgebot run` arms the venue's own switch (watchdog.exchange_switch). When a run
ends with its orders left resting (--once, --cycles), the watchdog cancels them after the window too: orders
never outlive the bot. It gives the bot one whole window from its own start, so start both together.

Stop it with Ctrl-C or SIGTERM (exit 0). It needs the venue's API key (it cancels orders) and read access to
the journal: run it as the same user, on the same machine or volume. See the README for systemd and Docker.
With hedges on several venues (hedges.ASSET.venue), one watchdog watches them all: it sweeps each venue a hedge
trades on, as `hedgebot run` trades them (--venue: the default venue, as given to `hedgebot run`).

examples:
  hedgebot watchdog --config my.toml
  hedgebot watchdog --config my.toml --window 90s
"""


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "watchdog", help=HELP, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--venue", metavar="NAME", help="the default [venues.NAME], as given to `hedgebot run` (default: the only one)"
    )
    parser.add_argument("--window", type=_window, metavar="DURATION", help="override watchdog.window (e.g. 90s, 2m)")
    parser.set_defaults(handler=run, needs_config=True)


def run(args: argparse.Namespace) -> int:
    config: AppConfig = args.config
    venue = pick_venue(config, args.venue)
    return asyncio.run(_watch(config, venue, args.window or config.watchdog.window))


async def _watch(config: AppConfig, venue: str, window: timedelta) -> int:
    clock = SystemClock()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    path = journal_path(config)
    async with AsyncExitStack() as stack:
        notifier = await stack.enter_async_context(alert_notifier(alert_settings(config)))
        dogs = []
        for settings in desks_for(config, venue):  # every venue a hedge trades on
            name = settings.venue.name
            port = await stack.enter_async_context(connect(settings, config.credentials(name), clock))
            dog = Watchdog(
                port,
                path,
                clock,
                window=window,
                configured=configured_instruments(settings.core),
                notify=notifier.notify,
                clear=notifier.clear,
            )
            out.print(
                f"hedgebot watchdog on {name}: cancels the bot's resting orders when its heartbeat in {path} stops "
                f"for longer than {window.total_seconds():g}s (checked every {dog.every.total_seconds():g}s)",
                markup=False,
            )
            dogs.append(dog)
        await asyncio.gather(*(dog.run(stop) for dog in dogs))
    out.print("hedgebot watchdog: stopped", markup=False)
    return 0


def _window(text: str) -> timedelta:
    try:
        window = parse_duration(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration: write {DURATION_FORMS}") from None
    if window < MIN_WATCHDOG_WINDOW:
        raise argparse.ArgumentTypeError(f"must be at least {MIN_WATCHDOG_WINDOW.total_seconds():g}s")
    return window
