"""Connecting the CLI to a configured venue: choosing it, building its port, reading one snapshot."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from bot.clock import Clock
from bot.config import AppConfig
from bot.credentials import Credentials
from bot.domain import Market, Snapshot
from bot.errors import ConfigError, ExchangeUnavailable
from bot.exchange.port import ExchangePort
from bot.exchange.snapshot import read_venue_snapshot
from bot.execution.reading import snapshot_request
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
async def connect(settings: Settings, credentials: Credentials, clock: Clock) -> AsyncIterator[ExchangePort]:
    # Imported here: ccxt takes about a second to import, and most commands (--help among them) never need it.
    from bot.exchange.factory import build_exchange

    port = build_exchange(settings.venue, credentials, clock, margin_mode=settings.execution.margin_mode)
    try:
        yield port
    finally:
        await port.close()


async def read_once(
    settings: Settings, port: ExchangePort, clock: Clock, managed: Iterable[str] = ()
) -> tuple[Snapshot, dict[str, Market]]:
    """Markets and one snapshot, for commands that look without trading (`plan`, `status`)."""
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
    request = snapshot_request(settings, assets, managed, markets, with_history=True)
    return await read_venue_snapshot(port, request, markets, clock), markets
