"""The `hedgebot` command line: global options, subcommand dispatch, and error-to-exit-code mapping."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import structlog

from bot.cli import alert_test, check_config, journal, plan, replay, run, scenario, sim, status, unwind, watchdog
from bot.cli.output import err, report_config_error
from bot.config import load_config
from bot.errors import ConfigError, HedgebotError, UsageError
from bot.exit_codes import EXIT_CONFIG, EXIT_INTERRUPTED, refusal_code
from bot.logging import configure_logging
from bot.version import package_version

# Each module adds its subcommand(s); order here is the order in --help.
COMMAND_MODULES = (check_config, scenario, plan, run, watchdog, status, unwind, journal, replay, alert_test, sim)

DESCRIPTION = """\
hedgebot keeps a short perpetual-futures hedge against spot crypto holdings: post-only limit orders,
leverage hard-capped at 2x, reduce-only unwinds, every decision journaled.

quick start:
  hedgebot check-config config.example.toml     validate a configuration
  hedgebot scenario --config config.example.toml  what a crash does to the portfolio at each hedge ratio

The configuration file comes from --config, else $HEDGEBOT_CONFIG, else ./hedgebot.toml. Logs go to
stderr (JSON when not on a terminal); results go to stdout.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hedgebot", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"hedgebot {package_version()}")
    _add_global_options(parser, default=None)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    commands.required = True
    for module in COMMAND_MODULES:
        module.register(commands)
    for subparser in commands.choices.values():
        # Global options work after the subcommand too (`hedgebot scenario --config x.toml`).
        _add_global_options(subparser.add_argument_group("global options"), default=argparse.SUPPRESS)
    return parser


def _add_global_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup, default: object) -> None:
    parser.add_argument(
        "--config",
        "-c",
        type=Path,
        default=default,
        metavar="FILE",
        help="configuration file (default: $HEDGEBOT_CONFIG or ./hedgebot.toml)",
    )
    parser.add_argument(
        "--log-level",
        choices=["debug", "info", "warning", "error"],
        default=default,
        help="override logging.level",
    )
    parser.add_argument(
        "--log-format", choices=["auto", "json", "console"], default=default, help="override logging.format"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # quoted back in messages (e.g. how to resume)
    configure_logging(args.log_level or "warning", args.log_format or "auto")
    config_path = args.config or Path(os.environ.get("HEDGEBOT_CONFIG", "hedgebot.toml"))
    try:
        if getattr(args, "needs_config", False):
            # Secrets are resolved only by the commands that use them (needs_secrets, True unless a command says not).
            args.config = load_config(config_path, secrets=getattr(args, "needs_secrets", True))
            logging_config = args.config.logging
            configure_logging(args.log_level or logging_config.level, args.log_format or logging_config.format)
        return int(args.handler(args))
    except UsageError as exc:
        for path, message in exc.problems:
            err.print(f"hedgebot {args.command}: {path}: {message}; nothing was done", markup=False)
        return EXIT_CONFIG
    except ConfigError as exc:
        report_config_error(exc, str(getattr(args, "file", None) or config_path))
        return EXIT_CONFIG
    except HedgebotError as exc:
        structlog.get_logger(__name__).debug("cli.failed", error=str(exc), error_type=type(exc).__name__)
        err.print(f"hedgebot {args.command}: {exc}", markup=False)
        return refusal_code(exc)
    except KeyboardInterrupt:
        err.print("interrupted", markup=False)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
