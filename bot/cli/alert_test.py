"""`hedgebot alert-test`: send a test alert to every configured destination and report each one's outcome."""

from __future__ import annotations

import argparse
import asyncio

from rich.table import Table

from bot.alerts.events import alert_test_event
from bot.alerts.notifier import RetryPolicy
from bot.alerts.senders import send_once_to_each
from bot.cli.output import err, print_json, show
from bot.clock import SystemClock
from bot.config import AppConfig
from bot.errors import UsageError

HELP = "send a test alert to every configured alert destination and say which received it"
DESCRIPTION = """\
Send one test message to each destination under [alerts.destinations] (kinds webhook, telegram, discord,
slack, apprise), all at once and one attempt each, and report per destination "delivered" or the error
(e.g. "HTTP 404: Unknown Webhook", "cannot connect to ...", "no answer within 10s"). The URLs, bot tokens and
chat ids come from the environment or secrets_file as the configuration says; they are never printed.
It sends even with alerts.enabled = false, so a destination can be tried before alerts are switched on.
Nothing is sent to any exchange.

exit codes: 0 every destination took the message, 1 one or more did not (or none is configured),
2 invalid configuration (e.g. OPS_URL not set).

examples:
  OPS_URL=https://hooks.slack.com/services/... hedgebot alert-test --config my.toml
  hedgebot alert-test --config my.toml --json
"""


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "alert-test", help=HELP, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true", help="print the outcome per destination as JSON")
    parser.set_defaults(handler=run, needs_config=True)


def run(args: argparse.Namespace) -> int:
    config: AppConfig = args.config
    destinations = config.alert_destinations()
    if not destinations:
        raise UsageError(
            [
                (
                    "alerts.destinations",
                    "no alert destinations are configured; add one under [alerts.destinations.NAME] "
                    "(see config.example.toml). Nothing was sent",
                )
            ]
        )
    event = alert_test_event(at=SystemClock().now())
    results = asyncio.run(send_once_to_each(destinations, event, RetryPolicy().request_timeout))
    if args.json:
        print_json({"results": results, "all_delivered": all(r.delivered for r in results)})
    else:
        table = Table("destination", "result")
        for result in results:
            table.add_row(result.destination, "delivered" if result.delivered else f"failed: {result.error}")
        show(table)
    if not config.alerts.enabled:
        err.print("note: alerts.enabled = false: the running bot sends no alerts until it is true", markup=False)
    return 0 if all(result.delivered for result in results) else 1
