"""Connecting the CLI to a configured venue: choosing it, building its port (or a dry run's), reading one snapshot."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.clock import Clock
from bot.config import AppConfig
from bot.credentials import Credentials
from bot.domain import Market, Snapshot
from bot.errors import ConfigError, ExchangeUnavailable
from bot.exchange.port import ExchangePort, VenueReader
from bot.exchange.snapshot import read_venue_snapshot
from bot.execution.reading import QUOTE, snapshot_request, unreachable_advice
from bot.execution.wallets import HoldingsWallets
from bot.paper.store import dry_run_journal, venue_file
from bot.settings import Settings
from bot.settings.from_config import journal_path


def pick_venue(config: AppConfig, name: str | None) -> str:
    """The venue to act on (for `run`, `unwind` and `status`: the default venue, which hedges the holdings whose
    hedge names no venue): ``--venue``, else the only one configured."""
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
async def wallets(settings: Settings, config: AppConfig, clock: Clock) -> AsyncIterator[dict[str, VenueReader]]:
    """The read half of every other venue whose spot wallet counts (``Settings.wallet_venues``): ccxt instances that
    send GET requests only, so nothing is ever traded or set there."""
    from bot.exchange.factory import build_reader  # imported here, as in ``connect``

    async with AsyncExitStack() as stack:
        readers: dict[str, VenueReader] = {}
        for venue in settings.wallet_venues:
            reader = build_reader(venue, config.credentials(venue.name), clock)
            stack.push_async_callback(reader.close)
            readers[venue.name] = reader
        yield readers


@dataclass(frozen=True, slots=True)
class Desk:
    """One trading venue's connections: its settings (``desks_for``), its port (or a dry run's paper port), and the
    read halves of the other venues whose wallets count."""

    settings: Settings
    port: ExchangePort
    wallets: dict[str, VenueReader]


@asynccontextmanager
async def open_desks(
    config: AppConfig, desks: Sequence[Settings], clock: Clock, *, paper: Path | None = None, looking: bool = False
) -> AsyncIterator[list[Desk]]:
    """``connect`` and ``wallets`` for each trading venue; with several, each dry run's paper venue in its own file."""
    async with AsyncExitStack() as stack:
        opened = []
        for settings in desks:
            name = settings.venue.name if len(desks) > 1 else None
            port = await stack.enter_async_context(
                connect(settings, config.credentials(settings.venue.name), clock, paper=paper, looking=looking,
                        paper_venue=name)
            )  # fmt: skip
            opened.append(Desk(settings, port, await stack.enter_async_context(wallets(settings, config, clock))))
        yield opened


@asynccontextmanager
async def connect(
    settings: Settings,
    credentials: Credentials,
    clock: Clock,
    *,
    paper: Path | None = None,
    looking: bool = False,
    paper_venue: str | None = None,
) -> AsyncIterator[ExchangePort]:
    """The port of the settings' venue. With ``paper``, a dry run's journal: a paper port holding the venue's read
    half alone (``bot.paper``), trading on the paper venue beside that journal (``looking``: only reading it); with
    ``paper_venue``, that venue's own paper file (``venue_file``: a dry run on several venues)."""
    # Imported here: ccxt takes about a second to import, and most commands (--help among them) never need it.
    from bot.exchange.factory import build_exchange, build_reader
    from bot.paper.port import PaperPort

    margin_mode = settings.execution.margin_mode
    port: ExchangePort
    if paper is not None:
        reader = build_reader(settings.venue, credentials, clock, margin_mode=margin_mode)
        port = PaperPort(reader, venue_file(paper, paper_venue), clock, margin_mode=margin_mode, read_only=looking)
    else:
        port = build_exchange(settings.venue, credentials, clock, margin_mode=margin_mode)
    try:
        yield port
    finally:
        await port.close()


async def read_once(
    settings: Settings,
    port: ExchangePort,
    clock: Clock,
    managed: Iterable[str] = (),
    others: Mapping[str, VenueReader] | None = None,
) -> tuple[Snapshot, dict[str, Market]]:
    """Markets and one snapshot, for commands that look without trading (`plan`, `status`), with the holdings of
    the other venues whose wallets count (``others``, from ``wallets``)."""
    try:
        markets = dict(await port.load_markets())
    except ExchangeUnavailable as exc:
        venue = settings.venue
        hint = unreachable_advice(venue)
        raise ExchangeUnavailable(
            f"cannot reach venue {venue.name!r}: {hint}; or plan from a file with --snapshot FILE"
        ) from exc
    wallet = await port.fetch_spot_balances()
    assets = {asset for asset, balance in wallet.items() if balance.total > 0}
    exclude = settings.core.holdings.exclude
    elsewhere = await HoldingsWallets(others or {}, exclude=exclude, quote=QUOTE).read()
    request = snapshot_request(settings, assets, managed, markets, with_history=True, elsewhere=elsewhere)
    return await read_venue_snapshot(port, request, markets, clock), markets
