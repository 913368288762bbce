"""PaperPort: the ExchangePort of a dry run, the real venue's read half and a paper venue's account and writes.

Market data and the spot wallet come from the venue through a ``VenueReader`` (the only thing of the venue's the
paper port holds: it has no write method, and its connections refuse anything but a GET). Books and tickers it
reads are observed by the paper venue on the way. Before any read of the paper account, and before an order or a
cancel, the paper venue catches up: the public trades printed since it last looked are read, fill what they went
through, and funding due settles; at most once a second (``CATCH_UP_EVERY``), never skipping a trade.

The paper margin wallet starts with the quote coin (USDT) of the venue's own margin wallet, read once, when the
paper venue file is created; it is its own from then on (``unified_wallet`` False: the spot holdings stay the
venue's).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterable, Mapping
from contextlib import ExitStack
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

from bot import limits
from bot.clock import Clock
from bot.domain import (
    Balance,
    FeeRates,
    Fill,
    FundingPayment,
    MarginMode,
    Market,
    Order,
    OrderBook,
    PerpTicker,
    Position,
    PublicTrade,
    SpotQuote,
)
from bot.errors import VenueUnsupported
from bot.exchange.port import CancelSwitch, ExchangePort, KeyPermissions, OrderRequest, VenueReader
from bot.paper import store
from bot.paper.convert import QUOTE
from bot.paper.venue import PaperVenue

log = structlog.get_logger(__name__)

CATCH_UP_EVERY = timedelta(seconds=1)  # the paper venue reads the market again when its view is older than this
MARKET_MAX_AGE = timedelta(seconds=1)  # an order is matched against a book and marks read at most this long ago
BOOK_DEPTH = 50
OVERLAP = timedelta(seconds=2)  # trades are read again a little before the last read (repeats are ignored)


class PaperPort:
    """ExchangePort for a dry run (see the module docstring)."""

    unified_wallet = False  # the spot holdings are the venue's wallet, the margin the paper venue's
    cancel_switch: CancelSwitch | None = None  # nothing of ours rests at the venue: there is nothing to cancel there

    def __init__(
        self,
        reader: VenueReader,
        path: Path,
        clock: Clock,
        *,
        margin_mode: MarginMode = MarginMode.ISOLATED,
        read_only: bool = False,
    ) -> None:
        self.venue = reader.venue
        self.path = path
        self.read_only = read_only
        self._reader = reader
        self._clock = clock
        self._margin_mode = margin_mode
        self._paper: PaperVenue | None = None
        self._opening = asyncio.Lock()
        self._catching_up = asyncio.Lock()
        self._held = ExitStack()

    # -- the venue's market data and spot wallet ----------------------------------------------------------------

    async def load_markets(self) -> Mapping[str, Market]:
        markets = await self._reader.load_markets()
        await self._open(markets)
        return markets

    async def server_time(self) -> datetime:
        return await self._reader.server_time()

    async def fetch_key_permissions(self) -> KeyPermissions:
        return await self._reader.fetch_key_permissions()  # the venue's key, checked as for a real run

    async def fetch_spot_balances(self) -> Mapping[str, Balance]:
        return await self._reader.fetch_spot_balances()

    async def fetch_spot_quotes(self, assets: Iterable[str]) -> Mapping[str, SpotQuote]:
        return await self._reader.fetch_spot_quotes(assets)

    async def fetch_perp_tickers(self, symbols: Iterable[str]) -> Mapping[str, PerpTicker]:
        tickers = await self._reader.fetch_perp_tickers(symbols)
        (await self._venue()).observe_tickers(tickers.values(), self._clock.now())
        return tickers

    async def fetch_order_book(self, symbol: str, depth: int) -> OrderBook:
        book = await self._reader.fetch_order_book(symbol, depth)
        paper = await self._venue()
        if paper.market_of(symbol) is None:
            return book  # a spot book: nothing of ours rests there
        paper = await self._caught_up()  # our orders the market has filled since are no longer in it
        paper.observe_book(book, self._clock.now())
        return paper.book(book)

    async def fetch_price_history(self, symbol: str, timeframe: str, limit: int) -> tuple[Decimal, ...]:
        return await self._reader.fetch_price_history(symbol, timeframe, limit)

    async def fetch_fee_rates(self, symbol: str) -> FeeRates:
        return await self._reader.fetch_fee_rates(symbol)

    async def fetch_public_trades(self, symbol: str, since: datetime | None = None) -> list[PublicTrade]:
        return await self._reader.fetch_public_trades(symbol, since)

    # -- the paper account --------------------------------------------------------------------------------------

    async def fetch_margin_balances(self) -> Mapping[str, Balance]:
        return (await self._caught_up()).balances()

    async def fetch_positions(self, symbols: Iterable[str]) -> Mapping[str, Position]:
        paper = await self._caught_up()
        return {symbol: paper.position(symbol) for symbol in sorted(set(symbols)) if paper.market_of(symbol)}

    async def fetch_open_orders(self, symbols: Iterable[str]) -> list[Order]:
        return (await self._caught_up()).open_orders(symbols)

    async def fetch_order(
        self, symbol: str, *, order_id: str | None = None, client_order_id: str | None = None
    ) -> Order | None:
        if (order_id is None) == (client_order_id is None):
            raise ValueError("fetch_order needs exactly one of order_id and client_order_id")
        return (await self._caught_up()).order(symbol, order_id, client_order_id)

    async def fetch_my_trades(self, symbols: Iterable[str], since: datetime | None = None) -> list[Fill]:
        venue = await self._caught_up()
        return [fill for symbol in sorted(set(symbols)) for fill in venue.fills(symbol, since)]

    async def fetch_funding_payments(
        self, symbols: Iterable[str], since: datetime | None = None
    ) -> list[FundingPayment]:
        venue = await self._caught_up()
        return [payment for symbol in sorted(set(symbols)) for payment in venue.funding(symbol, since)]

    async def fetch_leverage(self, symbol: str) -> Decimal:
        return (await self._venue()).leverage(symbol)

    # -- the paper venue's writes -------------------------------------------------------------------------------

    async def place_order(self, request: OrderRequest, *, confirm: bool = True) -> Order:
        if request.amount <= 0 or request.price <= 0:
            raise ValueError(f"an order needs a positive amount and price: {request}")
        paper = await self._ready_to_trade(request.symbol)
        return paper.place(request)

    async def cancel_order(
        self, symbol: str, *, order_id: str | None = None, client_order_id: str | None = None
    ) -> None:
        if (order_id is None) == (client_order_id is None):
            raise ValueError("cancel_order needs exactly one of order_id and client_order_id")
        (await self._caught_up()).cancel(symbol, order_id, client_order_id)

    async def set_leverage(self, symbol: str, leverage: Decimal) -> None:
        if not limits.MIN_LEVERAGE <= leverage <= limits.MAX_LEVERAGE:
            raise ValueError(f"leverage {leverage} is outside the bot's hard limits 1..{limits.MAX_LEVERAGE}")
        (await self._venue()).set_leverage(symbol, leverage)

    async def set_margin_mode(self, symbol: str, mode: MarginMode) -> None:
        (await self._venue()).set_margin_mode(mode)

    async def ensure_one_way_mode(self, symbol: str) -> None:
        await self._venue()  # the paper venue trades in one-way mode only

    async def arm_cancel_switch(self, symbols: Iterable[str], fires_after: timedelta) -> None:
        raise VenueUnsupported("the paper venue has no dead-man's switch: a dry run's orders never rest at the venue")

    async def disarm_cancel_switch(self, symbols: Iterable[str]) -> None:
        raise VenueUnsupported("the paper venue has no dead-man's switch: a dry run's orders never rest at the venue")

    async def close(self) -> None:
        try:
            if self._paper is not None:
                self._paper.save()
        finally:
            self._held.close()
            await self._reader.close()

    # -- plumbing -----------------------------------------------------------------------------------------------

    async def _venue(self) -> PaperVenue:
        if self._paper is None:
            await self._open(await self._reader.load_markets())
        assert self._paper is not None
        return self._paper

    async def _open(self, markets: Mapping[str, Market]) -> None:
        async with self._opening:
            if self._paper is not None:
                return
            if not self.read_only:
                self._held.enter_context(store.lock(self.path))
            initial: dict[str, Decimal] = {}
            if store.load(self.path) is None:
                wallet = await self._reader.fetch_margin_balances()
                initial = {QUOTE: wallet[QUOTE].total if QUOTE in wallet else Decimal(0)}
            self._paper = PaperVenue.open(
                self.path,
                self.venue,
                markets,
                self._clock,
                initial=initial,
                margin_mode=self._margin_mode,
                read_only=self.read_only,
            )

    async def _caught_up(self) -> PaperVenue:
        """The paper venue, after reading the trades printed since it last looked (at most once a second)."""
        paper = await self._venue()
        async with self._catching_up:
            now = self._clock.now()
            if paper.read_only or now - paper.observed_at() < CATCH_UP_EVERY:
                return paper
            symbols = paper.traded()
            since = paper.observed_at() - OVERLAP
            read = await asyncio.gather(*(self._reader.fetch_public_trades(s, since) for s in symbols))
            if symbols:
                paper.observe_tickers((await self._reader.fetch_perp_tickers(symbols)).values(), now)
            paper.catch_up(dict(zip(symbols, read, strict=True)), now)
            log.debug("paper.caught_up", at=now, trades={s: len(t) for s, t in zip(symbols, read, strict=True)})
        return paper

    async def _ready_to_trade(self, symbol: str) -> PaperVenue:
        """Caught up, with a book and ticker of ``symbol`` read at most ``MARKET_MAX_AGE`` ago to match an order
        against, and the account's fee rates on it."""
        paper = await self._caught_up()
        if not paper.knows_fees(symbol):
            paper.set_fees(symbol, await self._reader.fetch_fee_rates(symbol))
        now = self._clock.now()
        book_age, ticker_age = (math.inf if age is None else age for age in paper.ages(symbol, now))
        if book_age > MARKET_MAX_AGE.total_seconds():
            paper.observe_book(await self._reader.fetch_order_book(symbol, BOOK_DEPTH), now)
        if ticker_age > MARKET_MAX_AGE.total_seconds():
            paper.observe_tickers((await self._reader.fetch_perp_tickers([symbol])).values(), now)
        return paper


if TYPE_CHECKING:  # mypy proves the paper port implements the whole port
    _implements: type[ExchangePort] = PaperPort
