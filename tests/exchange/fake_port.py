"""An in-memory ExchangePort: canned answers, a log of calls, failures on demand, and how many calls overlapped."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal

from bot.domain import (
    Balance,
    Fill,
    FundingPayment,
    MarginMode,
    Market,
    Order,
    OrderBook,
    PerpTicker,
    Position,
    SpotQuote,
)
from bot.errors import VenueUnsupported
from bot.exchange.convert import flat_position
from bot.exchange.port import CancelSwitch, KeyPermissions, OrderRequest
from tests.factories import NOW, book, perp_ticker, spot_quote


class FakePort:
    def __init__(
        self,
        venue: str = "bybit",
        *,
        markets: Iterable[Market] = (),
        balances: Mapping[str, Balance] | None = None,
        spot_balances: Mapping[str, Balance] | None = None,
        prices: Mapping[str, str] | None = None,
        unified_wallet: bool = True,
        server_time: datetime = NOW,
        cancel_switch: CancelSwitch | None = None,
    ) -> None:
        self.venue = venue
        self.unified_wallet = unified_wallet
        self.cancel_switch = cancel_switch
        self.markets = {m.symbol: m for m in markets}
        self.balances = dict(balances or {})
        self.spot_balances = dict(spot_balances if spot_balances is not None else self.balances)
        self.prices = dict(prices or {})  # asset or perp symbol -> price
        self.positions: dict[str, Position] = {}
        self.orders: list[Order] = []
        self.leverage: dict[str, Decimal] = {}
        self.leverage_read_back: Decimal | None = None  # what fetch_leverage answers instead of the set value
        self.margin_modes: dict[str, MarginMode] = {}
        self.time = server_time
        self.key = KeyPermissions(trade=True, withdraw=False, transfer=False, ip_restricted=True)
        self.failures: dict[str, Exception] = {}
        self.calls: list[tuple[str, tuple[object, ...]]] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def _enter(self, name: str, *args: object) -> None:
        self.calls.append((name, args))
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0)  # let every other started request start too
            if name in self.failures:
                raise self.failures[name]
        finally:
            self.in_flight -= 1

    def called(self, name: str) -> list[tuple[object, ...]]:
        return [args for called, args in self.calls if called == name]

    async def load_markets(self) -> Mapping[str, Market]:
        await self._enter("load_markets")
        return dict(self.markets)

    async def server_time(self) -> datetime:
        await self._enter("server_time")
        return self.time

    async def fetch_key_permissions(self) -> KeyPermissions:
        await self._enter("fetch_key_permissions")
        return self.key

    async def fetch_spot_balances(self) -> Mapping[str, Balance]:
        await self._enter("fetch_spot_balances")
        return dict(self.spot_balances)

    async def fetch_margin_balances(self) -> Mapping[str, Balance]:
        await self._enter("fetch_margin_balances")
        return dict(self.balances)

    async def fetch_spot_quotes(self, assets: Iterable[str]) -> Mapping[str, SpotQuote]:
        wanted = sorted(assets)
        await self._enter("fetch_spot_quotes", *wanted)
        return {a: spot_quote(a, self.prices[a], self.prices[a]) for a in wanted if a in self.prices}

    async def fetch_perp_tickers(self, symbols: Iterable[str]) -> Mapping[str, PerpTicker]:
        wanted = sorted(symbols)
        await self._enter("fetch_perp_tickers", *wanted)
        return {s: perp_ticker(s, self.prices[s]) for s in wanted if s in self.prices}

    async def fetch_order_book(self, symbol: str, depth: int) -> OrderBook:
        await self._enter("fetch_order_book", symbol, depth)
        return book(symbol, self.prices[symbol], self.prices[symbol], levels=depth)

    async def fetch_price_history(self, symbol: str, timeframe: str, limit: int) -> tuple[Decimal, ...]:
        await self._enter("fetch_price_history", symbol, timeframe, limit)
        return tuple(Decimal(100 + i) for i in range(limit))

    async def fetch_positions(self, symbols: Iterable[str]) -> Mapping[str, Position]:
        wanted = sorted(symbols)
        await self._enter("fetch_positions", *wanted)
        return {s: self.positions.get(s) or flat_position(s, NOW) for s in wanted}

    async def fetch_open_orders(self, symbols: Iterable[str]) -> list[Order]:
        wanted = set(symbols)
        await self._enter("fetch_open_orders", *sorted(wanted))
        return [o for o in self.orders if o.symbol in wanted]

    async def fetch_order(
        self, symbol: str, *, order_id: str | None = None, client_order_id: str | None = None
    ) -> Order | None:
        await self._enter("fetch_order", symbol, order_id, client_order_id)
        key = "client_order_id" if client_order_id else "order_id"
        wanted = client_order_id or order_id
        return next((o for o in self.orders if getattr(o, key) == wanted), None)

    async def place_order(self, request: OrderRequest, *, confirm: bool = True) -> Order:
        raise NotImplementedError("the snapshot reader and preflight never place orders")

    async def cancel_order(
        self, symbol: str, *, order_id: str | None = None, client_order_id: str | None = None
    ) -> None:
        raise NotImplementedError("the snapshot reader and preflight never cancel orders")

    async def fetch_my_trades(self, symbols: Iterable[str], since: datetime | None = None) -> list[Fill]:
        await self._enter("fetch_my_trades", sorted(symbols))
        return []

    async def fetch_funding_payments(
        self, symbols: Iterable[str], since: datetime | None = None
    ) -> list[FundingPayment]:
        await self._enter("fetch_funding_payments", sorted(symbols))
        return []

    async def set_leverage(self, symbol: str, leverage: Decimal) -> None:
        await self._enter("set_leverage", symbol, leverage)
        self.leverage[symbol] = leverage

    async def fetch_leverage(self, symbol: str) -> Decimal:
        await self._enter("fetch_leverage", symbol)
        return self.leverage_read_back if self.leverage_read_back is not None else self.leverage[symbol]

    async def set_margin_mode(self, symbol: str, mode: MarginMode) -> None:
        await self._enter("set_margin_mode", symbol, mode)
        self.margin_modes[symbol] = mode

    async def ensure_one_way_mode(self, symbol: str) -> None:
        await self._enter("ensure_one_way_mode", symbol)

    async def arm_cancel_switch(self, symbols: Iterable[str], fires_after: timedelta) -> None:
        if self.cancel_switch is None:
            raise VenueUnsupported(f"{self.venue} has no dead-man's switch")
        await self._enter("arm_cancel_switch", tuple(sorted(symbols)), fires_after)

    async def disarm_cancel_switch(self, symbols: Iterable[str]) -> None:
        if self.cancel_switch is None:
            raise VenueUnsupported(f"{self.venue} has no dead-man's switch")
        await self._enter("disarm_cancel_switch", tuple(sorted(symbols)))

    async def close(self) -> None:
        await self._enter("close")
