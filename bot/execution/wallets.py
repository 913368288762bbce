"""The spot wallets of the venues used only for holdings (``holdings.venues`` other than the trading venue).

Each is opened with its read half only (``VenueReader``, whose ccxt instances send GET requests only: nothing can
trade there or change a setting) and read every cycle before the trading venue's snapshot; its holdings are valued
at the trading venue's spot prices, like static holdings, and feed the same plan. At start-up every one must read (``open``): a wallet never read is not traded
on. Later, a wallet that cannot be read keeps its last reading and is named in ``unread``: the guards
(``bot.execution.guards.unread_wallets``) hold the hedges of its holdings as they are, neither shrunk nor grown on
missing data, with the reason in the journal, until it reads again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import structlog

from bot.domain import Balance, Holding
from bot.errors import DataError, ExchangeError, PreflightError
from bot.exchange.port import VenueReader
from bot.exchange.snapshot import wallet_holdings

log = structlog.get_logger(__name__)


class HoldingsWallets:
    """The holdings-only venues' wallets, and what each last read."""

    def __init__(self, ports: Mapping[str, VenueReader], *, exclude: frozenset[str], quote: str) -> None:
        self.ports = dict(ports)
        self._exclude = exclude
        self._quote = quote
        self._last: dict[str, tuple[Holding, ...]] = {}
        self.unread: dict[str, str] = {}  # venue -> why its wallet could not be read this time

    async def open(self) -> None:
        """The first reading of every wallet; ``PreflightError`` (from the failure) naming the first that fails."""
        for venue, result in zip(self.ports, await self._read_all(), strict=True):
            if (failure := _failure(result)) is not None:
                raise PreflightError(f"{venue}: cannot read the spot wallet (holdings.venues): {failure}") from failure

    async def read(self) -> tuple[Holding, ...]:
        """Every wallet's holdings: as read now, or as last read for those that cannot be read (``unread``)."""
        results = await self._read_all()
        self.unread = {}
        for venue, result in zip(self.ports, results, strict=True):
            if (failure := _failure(result)) is not None:
                if venue not in self._last:  # never read: nothing to hold its hedges at
                    raise DataError(f"{venue}: cannot read the spot wallet (holdings.venues): {failure}") from failure
                self.unread[venue] = str(failure)
                log.warning("wallet.unread", venue=venue, error=str(failure), kept=len(self._last[venue]))
        return tuple(holding for venue in self.ports for holding in self._last.get(venue, ()))

    def last(self, venue: str) -> tuple[Holding, ...]:
        """The holdings ``venue``'s wallet last read."""
        return self._last.get(venue, ())

    async def _read_all(self) -> list[tuple[Holding, ...] | BaseException]:
        return list(await asyncio.gather(*(self._read(venue) for venue in self.ports), return_exceptions=True))

    async def _read(self, venue: str) -> tuple[Holding, ...]:
        balances: Mapping[str, Balance] = await self.ports[venue].fetch_spot_balances()
        if not balances:  # a reply that lost its coins is no reading of "nothing held"
            raise DataError(f"{venue}: the spot wallet reply lists no coin at all")
        holdings = wallet_holdings(venue, balances, self._exclude, self._quote)
        self._last[venue] = holdings
        return holdings


def _failure(result: tuple[Holding, ...] | BaseException) -> ExchangeError | DataError | None:
    """How a wallet's read failed, as a venue can fail (unreachable, refused, malformed); anything else is a bug and
    raised as it is."""
    if isinstance(result, ExchangeError | DataError):
        return result
    if isinstance(result, BaseException):
        raise result
    return None
