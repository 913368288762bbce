"""Guarded live mode: a venue in mode "live" trades real money only when the command line and a person both say so.

`hedgebot run` and `hedgebot unwind` on a venue in mode "live" refuse to start unless the command line says
``--live`` and the venue's name is then typed at the prompt, or, with no terminal (a service), the environment
variable ``HEDGEBOT_CONFIRM_LIVE`` holds the venue's name (with hedges on several live venues, each is asked for in
turn, or the variable lists them all, separated by commas). The refusal names what is missing; nothing has been sent
or even connected to when it comes. A dry run (``--dry-run``) sends nothing and needs none of this.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bot.errors import PreflightError
from bot.settings import VenueMode

CONFIRM_VARIABLE = "HEDGEBOT_CONFIRM_LIVE"


def confirm_live(
    venue: str,
    mode: VenueMode,
    *,
    live: bool,
    dry_run: bool,
    terminal: bool,
    ask: Callable[[str], str],
    environ: Mapping[str, str],
) -> None:
    """Return when trading may start on ``venue``; ``PreflightError`` saying what is missing otherwise. ``ask`` shows
    a prompt and returns the answer (used only on a ``terminal``)."""
    if dry_run or mode is not VenueMode.LIVE:
        return
    if not live:
        raise PreflightError(
            f'venue {venue!r} is in mode "live": its orders move real money. Add --live to the command line to trade '
            "it (you will be asked to confirm), or watch it first with --dry-run"
        )
    if terminal:
        answer = ask(f"LIVE trading on venue {venue!r}: real money. Type the venue's name ({venue}) to go on: ")
        if answer.strip() != venue:
            raise PreflightError(f"--live given, but {venue!r} was not typed at the prompt: nothing was done")
        return
    given = environ.get(CONFIRM_VARIABLE)
    if given is None:
        raise PreflightError(
            f"--live given, but not confirmed: with no terminal to type the venue's name at, set {CONFIRM_VARIABLE}="
            f"{venue} in the environment"
        )
    if venue not in given.split(","):
        raise PreflightError(f"--live given, but {CONFIRM_VARIABLE} is {given!r}, not the venue's name {venue!r}")
