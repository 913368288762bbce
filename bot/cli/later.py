"""Subcommands whose function arrives with a later issue: each says so plainly and exits non-zero."""

from __future__ import annotations

import argparse

from bot.cli.output import err

# name -> (one-line help, what it will do, which piece of work delivers it)
PENDING: dict[str, tuple[str, str, str]] = {
    "replay": (
        "replay historical market data through the bot and report how the hedge tracked",
        "Runs the bot against the simulator on a historical window at full speed.",
        "a later issue (replay and hedge-effectiveness reporting)",
    ),
}


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for name, (summary, detail, delivered_by) in PENDING.items():
        parser = commands.add_parser(
            name,
            help=f"{summary} [not available yet]",
            description=f"{detail}\n\nNot available yet: arrives with {delivered_by}. Running it does nothing "
            "and exits 1.",
        )
        parser.set_defaults(handler=_not_yet(name, delivered_by), needs_config=False)


def _not_yet(name: str, delivered_by: str) -> object:
    def handler(_: argparse.Namespace) -> int:
        err.print(f"hedgebot {name}: not available yet; it arrives with {delivered_by}. Nothing was done.")
        return 1

    return handler
