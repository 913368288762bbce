"""An ExchangePort that watches what a hedger asks of the venue: orders, cancels, post-only rejections, re-prices,
and the mid each order was decided at.

It wraps any port and changes nothing it passes on. The decision mid of an order is the mid of the first book of
its instrument read at the moment (of the clock) the order is sent: in a cycle the snapshot reads every book
before the planner decides, so a re-priced order keeps the mid of the decision, not of the re-price's fresh book.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal

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
    Side,
    SpotQuote,
)
from bot.errors import PostOnlyWouldTake
from bot.exchange.port import ExchangePort, KeyPermissions, OrderRequest
from bot.replay.record import OrderCounts


class ObservedPort:
    """``port``, counting what goes through it (see ``counts`` and ``decision_mid``)."""

    def __init__(self, port: ExchangePort, clock: Clock) -> None:
        self.inner = port
        self.venue = port.venue
        self.unified_wallet = port.unified_wallet
        self.cancel_switch = port.cancel_switch
        self._clock = clock
        self._first_mid: dict[str, tuple[datetime, Decimal | None]] = {}  # symbol -> (moment, mid of its 1st book)
        self._decided: dict[str, Decimal] = {}  # client order id -> decision mid
        self._sides: dict[str, tuple[str, Side]] = {}  # client order id -> (symbol, side)
        self._moment: datetime | None = None
        self._freed: set[tuple[str, Side]] = set()  # sides of instruments with a cancel or rejection this moment
        self._orders = self._cancels = self._rejections = self._reprices = 0

    @property
    def counts(self) -> OrderCounts:
        return OrderCounts(self._orders, self._cancels, self._rejections, self._reprices)

    def decision_mid(self, client_order_id: str | None) -> Decimal | None:
        return self._decided.get(client_order_id or "")

    # -- watched -----------------------------------------------------------------------------------------------

    async def fetch_order_book(self, symbol: str, depth: int) -> OrderBook:
        book = await self.inner.fetch_order_book(symbol, depth)
        now = self._clock.now()
        seen = self._first_mid.get(symbol)
        if seen is None or seen[0] != now:
            self._first_mid[symbol] = (now, book.mid)
        return book

    async def place_order(self, request: OrderRequest, *, confirm: bool = True) -> Order:
        self._new_moment()
        key = (request.symbol, request.side)
        seen = self._first_mid.get(request.symbol)
        if seen is not None and seen[0] == self._clock.now() and seen[1] is not None:
            self._decided[request.client_order_id] = seen[1]
        self._sides[request.client_order_id] = key
        try:
            order = await self.inner.place_order(request, confirm=confirm)
        except PostOnlyWouldTake:
            self._rejected(key)
            raise
        self._orders += 1
        if key in self._freed:
            self._reprices += 1
        if order.post_only_rejected:
            self._rejected(key)
        return order

    async def cancel_order(
        self, symbol: str, *, order_id: str | None = None, client_order_id: str | None = None
    ) -> None:
        self._new_moment()
        await self.inner.cancel_order(symbol, order_id=order_id, client_order_id=client_order_id)
        self._cancels += 1
        key = self._sides.get(client_order_id or "")
        if key is not None:
            self._freed.add(key)

    def _rejected(self, key: tuple[str, Side]) -> None:
        self._rejections += 1
        self._freed.add(key)

    def _new_moment(self) -> None:
        now = self._clock.now()
        if now != self._moment:
            self._moment = now
            self._freed.clear()

    # -- passed through --------------------------------------------------------------------------------------

    async def load_markets(self) -> Mapping[str, Market]:
        return await self.inner.load_markets()

    async def server_time(self) -> datetime:
        return await self.inner.server_time()

    async def fetch_key_permissions(self) -> KeyPermissions:
        return await self.inner.fetch_key_permissions()

    async def fetch_spot_balances(self) -> Mapping[str, Balance]:
        return await self.inner.fetch_spot_balances()

    async def fetch_margin_balances(self) -> Mapping[str, Balance]:
        return await self.inner.fetch_margin_balances()

    async def fetch_spot_quotes(self, assets: Iterable[str]) -> Mapping[str, SpotQuote]:
        return await self.inner.fetch_spot_quotes(assets)

    async def fetch_perp_tickers(self, symbols: Iterable[str]) -> Mapping[str, PerpTicker]:
        return await self.inner.fetch_perp_tickers(symbols)

    async def fetch_fee_rates(self, symbol: str) -> FeeRates:
        return await self.inner.fetch_fee_rates(symbol)

    async def fetch_public_trades(self, symbol: str, since: datetime | None = None) -> list[PublicTrade]:
        return await self.inner.fetch_public_trades(symbol, since)

    async def fetch_price_history(self, symbol: str, timeframe: str, limit: int) -> tuple[Decimal, ...]:
        return await self.inner.fetch_price_history(symbol, timeframe, limit)

    async def fetch_positions(self, symbols: Iterable[str]) -> Mapping[str, Position]:
        return await self.inner.fetch_positions(symbols)

    async def fetch_open_orders(self, symbols: Iterable[str]) -> list[Order]:
        return await self.inner.fetch_open_orders(symbols)

    async def fetch_order(
        self, symbol: str, *, order_id: str | None = None, client_order_id: str | None = None
    ) -> Order | None:
        return await self.inner.fetch_order(symbol, order_id=order_id, client_order_id=client_order_id)

    async def fetch_my_trades(self, symbols: Iterable[str], since: datetime | None = None) -> list[Fill]:
        return await self.inner.fetch_my_trades(symbols, since)

    async def fetch_funding_payments(
        self, symbols: Iterable[str], since: datetime | None = None
    ) -> list[FundingPayment]:
        return await self.inner.fetch_funding_payments(symbols, since)

    async def set_leverage(self, symbol: str, leverage: Decimal) -> None:
        await self.inner.set_leverage(symbol, leverage)

    async def fetch_leverage(self, symbol: str) -> Decimal:
        return await self.inner.fetch_leverage(symbol)

    async def set_margin_mode(self, symbol: str, mode: MarginMode) -> None:
        await self.inner.set_margin_mode(symbol, mode)

    async def ensure_one_way_mode(self, symbol: str) -> None:
        await self.inner.ensure_one_way_mode(symbol)

    async def arm_cancel_switch(self, symbols: Iterable[str], fires_after: timedelta) -> None:
        await self.inner.arm_cancel_switch(symbols, fires_after)

    async def disarm_cancel_switch(self, symbols: Iterable[str]) -> None:
        await self.inner.disarm_cancel_switch(symbols)

    async def close(self) -> None:
        await self.inner.close()
