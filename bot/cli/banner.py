"""The start-up banner of `hedgebot run` and `hedgebot unwind`: what is about to trade, where, how, within what.

Printed on stderr before the venue is first contacted: the mode (and DRY-RUN), the venue, its exchange and account,
the hedge instruments, leverage and margin mode, every risk limit, the approval mode and timeout, which protection
keeps orders from outliving the bot, and the journal.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from bot.config import AppConfig
from bot.durations import format_duration
from bot.execution.reading import configured_instruments
from bot.settings import Settings

WIDTH = 96  # the risk limits' lines
NO_PROTECTION_NEEDED = "none needed: a dry run's orders rest on paper, never at the venue"
DRY_RUN_LINE = "DRY-RUN: paper trading on the venue's live market; no order, cancel or setting is sent to the venue"


@dataclass(frozen=True, slots=True)
class Banner:
    command: str  # "run" or "unwind"
    dry_run: bool
    mode: str
    venue: str
    exchange: str
    account: str
    instruments: tuple[str, ...]  # each with the key naming it
    leverage: Decimal
    margin_mode: str
    risk: tuple[tuple[str, str], ...]  # (key, value) of every risk limit
    approval: str
    protection: str
    journal: Path


def banner_for(
    config: AppConfig,
    settings: Settings,
    command: str,
    *,
    dry_run: bool,
    approval: str,
    protection: str,
    journal: Path,
    default_venue: str | None = None,
) -> Banner:
    """The banner of a run with ``settings`` (``config``'s, for its venue: with hedges on several venues, that
    venue's desk, ``default_venue`` being the one that hedges the holdings whose hedge names no venue)."""
    venue = settings.venue
    named = configured_instruments(settings.core)
    instruments = tuple(f"{symbol} ({keys})" for symbol, keys in sorted(named.items()))
    own = sorted(a for a, h in settings.core.hedges.items() if h.enabled and not (h.instrument or h.proxy))
    instruments += tuple(f"{asset}/USDT:USDT (hedges.{asset}: its own perpetual, where listed)" for asset in own)
    if default_venue in (None, venue.name):
        instruments += ("each other holding (wallet or holdings.static): its own <ASSET>/USDT:USDT, where listed",)
    return Banner(
        command=command,
        dry_run=dry_run,
        mode=venue.mode.value,
        venue=venue.name,
        exchange=venue.exchange,
        account=_account(config, venue.name),
        instruments=instruments,
        leverage=settings.execution.leverage,
        margin_mode=settings.execution.margin_mode.value,
        risk=tuple((key, _shown(value)) for key, value in config.risk.model_dump().items()),
        approval=(
            "auto: orders within the risk limits go out on their own"
            if approval == "auto"
            else f"ask at the terminal; no answer in {format_duration(config.approval.timeout)} means no; a plan "
            f"answered after {format_duration(config.approval.max_plan_age)} or after a price move beyond "
            f"{config.approval.max_price_move_bps} bps is planned and asked again"
        ),
        protection=protection,
        journal=journal,
    )


def render(banner: Banner) -> list[str]:
    """The banner's lines; a dry run's each say DRY-RUN."""
    heading = f"hedgebot {banner.command} on venue {banner.venue} ({banner.exchange}, mode {banner.mode})"
    lines = [
        *([DRY_RUN_LINE] if banner.dry_run else []),
        heading,
        f"  account:      {banner.account}",
        *_listed("  instruments:  ", banner.instruments),
        f"  leverage:     {banner.leverage}x, {banner.margin_mode} margin",
        *_listed("  risk limits:  ", textwrap.wrap(", ".join(f"{key} {value}" for key, value in banner.risk), WIDTH)),
        f"  approval:     {banner.approval}",
        f"  protection:   {banner.protection}",
        f"  journal:      {banner.journal}",
    ]
    return [f"DRY-RUN {line}" if banner.dry_run and not line.startswith("DRY-RUN") else line for line in lines]


def _listed(label: str, items: Sequence[str]) -> list[str]:
    indent = " " * len(label)
    return [f"{label if i == 0 else indent}{item}" for i, item in enumerate(items)]


def _account(config: AppConfig, venue: str) -> str:
    """Which account: the credential set and where it was read (never a key)."""
    name, source = config.venues[venue].credentials, config.credentials(venue).source
    return source if name is None else f"credential set {name}, from the {source}"


def _shown(value: object) -> str:
    if isinstance(value, timedelta):
        return format_duration(value)
    return str(value)
