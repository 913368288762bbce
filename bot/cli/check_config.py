"""`hedgebot check-config FILE`: validate a configuration and show the effective settings, secrets masked."""

from __future__ import annotations

import argparse

from bot import limits
from bot.cli.output import err, out, print_json, to_toml
from bot.config import AppConfig, VenueMode, load_config, secret_problems

HELP = "validate a configuration file and print the effective settings (secrets masked)"
DESCRIPTION = """\
Load FILE, apply HEDGEBOT_* environment overrides and check every rule, then look for the secrets it names
(each venue's credential set, the alert destinations' secrets) in the environment and the secrets file.

On success prints the effective configuration (defaults filled in, credentials shown only as where they
come from) and exits 0. On failure prints every problem with its key path and exits 2. A secret that is not
set here is a warning, not a failure (exit 0): the configuration may be checked on a machine without the
keys, and replay, scenario, journal and plan --snapshot never use them; run, unwind, status, plan (against
a venue), watchdog and alert-test refuse to start without them (exit 2). Nothing is sent to any exchange.

examples:
  hedgebot check-config config.example.toml
  HEDGEBOT_RISK__MAX_ORDER_NOTIONAL=500 hedgebot check-config my.toml --json
"""


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "check-config",
        help=HELP,
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", metavar="FILE", help="the TOML configuration to check")
    parser.add_argument("--json", action="store_true", help="print the effective configuration as JSON")
    parser.set_defaults(handler=run, needs_config=False)


def run(args: argparse.Namespace) -> int:
    config = load_config(args.file, secrets=False)
    missing = secret_problems(config)
    if args.json:
        print_json(config.masked_dump())
    else:
        out.print(to_toml(config.masked_dump()), markup=False)
        out.print(f"OK: {args.file} is valid.", markup=False)
    for warning in [*warnings(config), *(f"{key}: {message}" for key, message in missing)]:
        err.print(f"warning: {warning}", markup=False)
    if missing:
        err.print(f"warning: {SECRETS_NEEDED}", markup=False)
    return 0


SECRETS_NEEDED = (
    "run, unwind, status, plan (against a venue), watchdog and alert-test refuse to start until the secrets "
    "above are set; replay, scenario, journal and plan --snapshot do not use them"
)


def warnings(config: AppConfig) -> list[str]:
    """Legal but risky settings worth a second look."""
    found = []
    for name, venue in config.venues.items():
        if venue.mode is VenueMode.LIVE:
            found.append(f"venues.{name}: mode 'live' trades real money")
            if config.approval.mode == "auto":
                found.append(f"venues.{name}: live trading with approval.mode = 'auto' places orders unattended")
    if config.execution.leverage == limits.MAX_LEVERAGE:
        found.append("execution.leverage is at the hard maximum of 2x; 1x cannot be liquidated by a 2x squeeze")
    if config.policy.ratio > 1:
        found.append(
            f"policy.ratio = {config.policy.ratio} over-hedges: a rally loses more on the short than spot gains"
        )
    return found
