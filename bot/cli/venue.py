"""Connecting the CLI to a configured venue: choosing it, building its port (or a dry run's), reading one snapshot."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path

from bot.clock import Clock
from bot.config import AppConfig
from bot.domain import Market, Snapshot
from bot.errors import ConfigError, ExchangeUnavailable
from bot.exchange.port import ExchangePort
from bot.exchange.snapshot import read_snapshot
from bot.execution.reading import snapshot_request, unreachable_advice
from bot.journal import journal_path
from bot.paper.store import dry_run_journal, venue_file


def pick_venue(config: AppConfig, name: str | None) -> str:
    """The venue to act on: ``--venue``, else the only one configured."""
    if name is not None:
        if name not in config.venues:
            raise ConfigError([("--venue", f"{name!r} is not configured (configured: {', '.join(config.venues)})")])
        return name
    if len(config.venues) > 1:
        raise ConfigError([("--venue", f"several venues are configured ({', '.join(config.venues)}): pick one")])
    return next(iter(config.venues))


def journal_for(config: AppConfig, dry_run: bool) -> Path:
    """The journal a command writes or reads: ``[journal] path``, or for a dry run its own file beside it."""
    path = journal_path(config)
    return dry_run_journal(path) if dry_run else path


@asynccontextmanager
async def connect(
    config: AppConfig, venue: str, clock: Clock, *, dry_run: bool = False, read_only: bool = False
) -> AsyncIterator[ExchangePort]:
    """The port of ``venue``; for a dry run, a paper port holding the venue's read half alone (``bot.paper``),
    trading on the paper venue beside the dry run's journal (``read_only``: only looking at it)."""
    # Imported here: ccxt takes about a second to import, and most commands (--help among them) never need it.
    from bot.exchange.factory import build_exchange, build_reader
    from bot.paper.port import PaperPort

    settings, credentials, margin_mode = config.venues[venue], config.credentials(venue), config.execution.margin_mode
    port: ExchangePort
    if dry_run:
        reader = build_reader(venue, settings, credentials, clock, margin_mode=margin_mode)
        paper = venue_file(journal_for(config, dry_run=True))
        port = PaperPort(reader, paper, clock, margin_mode=margin_mode, read_only=read_only)
    else:
        port = build_exchange(venue, settings, credentials, clock, margin_mode=margin_mode)
    try:
        yield port
    finally:
        await port.close()


async def read_once(
    config: AppConfig, venue: str, port: ExchangePort, clock: Clock, managed: Iterable[str] = ()
) -> tuple[Snapshot, dict[str, Market]]:
    """Markets and one snapshot, for commands that look without trading (`plan`, `status`)."""
    try:
        markets = dict(await port.load_markets())
    except ExchangeUnavailable as exc:
        hint = unreachable_advice(config.venues[venue])
        raise ExchangeUnavailable(
            f"cannot reach venue {venue!r}: {hint}; or plan from a file with --snapshot FILE"
        ) from exc
    wallet = await port.fetch_spot_balances()
    assets = {asset for asset, balance in wallet.items() if balance.total > 0}
    request = snapshot_request(config, venue, assets, managed, markets, with_history=True)
    return await read_snapshot(port, request, markets, clock), markets
