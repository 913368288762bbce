"""Connecting the CLI to a configured venue: choosing it, building its port, reading one snapshot."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace

from bot.clock import Clock
from bot.config import AppConfig
from bot.credentials import Credentials
from bot.domain import Market, Snapshot
from bot.errors import ConfigError, ExchangeUnavailable
from bot.exchange.port import ExchangePort, WalletPort
from bot.exchange.snapshot import read_venue_snapshot
from bot.execution.reading import QUOTE, snapshot_request
from bot.execution.wallets import HoldingsWallets
from bot.settings import Settings, VenueMode


def pick_venue(config: AppConfig, name: str | None) -> str:
    """The venue to act on: ``--venue``, else the only one configured."""
    if name is not None:
        if name not in config.venues:
            raise ConfigError([("--venue", f"{name!r} is not configured (configured: {', '.join(config.venues)})")])
        return name
    if len(config.venues) > 1:
        raise ConfigError([("--venue", f"several venues are configured ({', '.join(config.venues)}): pick one")])
    return next(iter(config.venues))


@asynccontextmanager
async def wallets(settings: Settings, config: AppConfig, clock: Clock) -> AsyncIterator[dict[str, WalletPort]]:
    """The read half of every other venue whose spot wallet counts (``Settings.wallet_venues``): never traded on."""
    async with AsyncExitStack() as stack:
        yield {
            venue.name: await stack.enter_async_context(
                connect(replace(settings, venue=venue), config.credentials(venue.name), clock)
            )
            for venue in settings.wallet_venues
        }


@asynccontextmanager
async def connect(settings: Settings, credentials: Credentials, clock: Clock) -> AsyncIterator[ExchangePort]:
    # Imported here: ccxt takes about a second to import, and most commands (--help among them) never need it.
    from bot.exchange.factory import build_exchange

    port = build_exchange(settings.venue, credentials, clock, margin_mode=settings.execution.margin_mode)
    try:
        yield port
    finally:
        await port.close()


async def read_once(
    settings: Settings,
    port: ExchangePort,
    clock: Clock,
    managed: Iterable[str] = (),
    others: Mapping[str, WalletPort] | None = None,
) -> tuple[Snapshot, dict[str, Market]]:
    """Markets and one snapshot, for commands that look without trading (`plan`, `status`), with the holdings of
    the other venues whose wallets count (``others``, from ``wallets``)."""
    try:
        markets = dict(await port.load_markets())
    except ExchangeUnavailable as exc:
        venue = settings.venue
        hint = (
            f"is the simulator running at {venue.url}? Start it with `hedgebot sim`"
            if venue.mode is VenueMode.SIM
            else "check the network and the venue's status page"
        )
        raise ExchangeUnavailable(
            f"cannot reach venue {venue.name!r}: {hint}; or plan from a file with --snapshot FILE"
        ) from exc
    wallet = await port.fetch_spot_balances()
    assets = {asset for asset, balance in wallet.items() if balance.total > 0}
    exclude = settings.core.holdings.exclude
    elsewhere = await HoldingsWallets(others or {}, exclude=exclude, quote=QUOTE).read()
    request = snapshot_request(settings, assets, managed, markets, with_history=True, elsewhere=elsewhere)
    return await read_venue_snapshot(port, request, markets, clock), markets
